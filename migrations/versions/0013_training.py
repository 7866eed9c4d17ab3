"""training: courses, sessions, materials, enrolments, nabohjelp and the super-user roster

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 19:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Calendar invitations travel as attachments of an outbox mail (ADR 0087).
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
    op.create_table(
        'courses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('audience', sa.String(length=200), nullable=False),
        sa.Column('systems', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_courses_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    )
    op.create_table(
        'course_trainers',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_trainers_course_id_courses')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_trainers_user_id_users')),
        sa.PrimaryKeyConstraint('course_id', 'user_id', name=op.f('pk_course_trainers')),
    )
    op.create_index(op.f('ix_course_trainers_user_id'), 'course_trainers', ['user_id'])
    op.create_table(
        'course_materials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=True),
        sa.Column('current_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_materials_course_id_courses')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_materials')),
    )
    op.create_index(op.f('ix_course_materials_course_id'), 'course_materials', ['course_id'])
    op.create_table(
        'course_material_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('material_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=True),
        sa.Column('content_type', sa.String(length=120), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['material_id'], ['course_materials.id'], name=op.f('fk_course_material_versions_material_id_course_materials')),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_course_material_versions_published_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_material_versions')),
        sa.UniqueConstraint('material_id', 'version', name='uq_material_version'),
    )
    op.create_index(op.f('ix_course_material_versions_material_id'), 'course_material_versions', ['material_id'])
    op.create_table(
        'course_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('video_url', sa.String(length=500), nullable=True),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('cancel_deadline_hours', sa.Integer(), nullable=False),
        sa.Column('seats_taken', sa.Integer(), nullable=False),
        sa.Column('last_waiting', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('seats_taken >= 0 AND seats_taken <= capacity', name=op.f('ck_course_sessions_seats_within_capacity')),
        sa.CheckConstraint('capacity > 0', name=op.f('ck_course_sessions_capacity_positive')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_course_sessions_ends_after_start')),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_sessions_course_id_courses')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_course_sessions_municipality_id_municipalities')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_sessions')),
    )
    op.create_index(op.f('ix_course_sessions_course_id'), 'course_sessions', ['course_id'])
    op.create_index(op.f('ix_course_sessions_starts_at'), 'course_sessions', ['starts_at'])
    op.create_index(op.f('ix_course_sessions_municipality_id'), 'course_sessions', ['municipality_id'])
    op.create_table(
        'enrolments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('waiting_position', sa.Integer(), nullable=True),
        sa.Column('enrolled_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['course_sessions.id'], name=op.f('fk_enrolments_session_id_course_sessions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrolments_user_id_users')),
        sa.ForeignKeyConstraint(['enrolled_by_id'], ['users.id'], name=op.f('fk_enrolments_enrolled_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
        sa.UniqueConstraint('session_id', 'user_id', name='uq_enrolment_session_user'),
        sa.UniqueConstraint('session_id', 'waiting_position', name='uq_enrolment_waiting_position'),
    )
    op.create_index(op.f('ix_enrolments_session_id'), 'enrolments', ['session_id'])
    op.create_index('ix_enrolments_user', 'enrolments', ['user_id', 'status'])
    op.create_table(
        'neighbour_help',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('helper_id', sa.Integer(), nullable=False),
        sa.Column('helped_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('system', sa.String(length=120), nullable=True),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('helped_on', sa.Date(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('unit', sa.String(length=120), nullable=False),
        sa.Column('confirmation', sa.String(length=20), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('minutes > 0', name=op.f('ck_neighbour_help_minutes_positive')),
        sa.ForeignKeyConstraint(['helper_id'], ['users.id'], name=op.f('fk_neighbour_help_helper_id_users')),
        sa.ForeignKeyConstraint(['helped_id'], ['users.id'], name=op.f('fk_neighbour_help_helped_id_users')),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_neighbour_help_ticket_id_tickets')),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_neighbour_help_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_neighbour_help_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_neighbour_help')),
    )
    op.create_index(op.f('ix_neighbour_help_helper_id'), 'neighbour_help', ['helper_id'])
    op.create_index(op.f('ix_neighbour_help_helped_id'), 'neighbour_help', ['helped_id'])
    op.create_index('ix_neighbour_help_month', 'neighbour_help', ['municipality_id', 'helped_on'])
    op.create_table(
        'super_user_roster',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('system', sa.String(length=120), nullable=False),
        sa.Column('unit', sa.String(length=120), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_super_user_roster_municipality_id_municipalities')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_super_user_roster_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_super_user_roster')),
        sa.UniqueConstraint('system', 'unit', 'user_id', name='uq_roster_system_unit_user'),
    )
    op.create_index('ix_roster_system', 'super_user_roster', ['system'])


def downgrade():
    op.drop_table('super_user_roster')
    op.drop_table('neighbour_help')
    op.drop_table('enrolments')
    op.drop_table('course_sessions')
    op.drop_table('course_material_versions')
    op.drop_table('course_materials')
    op.drop_table('course_trainers')
    op.drop_table('courses')
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('attachments')
