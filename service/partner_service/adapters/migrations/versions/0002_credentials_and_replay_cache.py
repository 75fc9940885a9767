"""credentials and the nonce replay cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 11:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "seen_nonces",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_nonces")),
    )
    op.create_index(op.f("ix_seen_nonces_expires_at"), "seen_nonces", ["expires_at"], unique=False)
    op.create_table(
        "credentials",
        sa.Column("id", Id, nullable=False),
        sa.Column("client_id", Id, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("all_clubs", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("previous_hash", sa.String(length=200), nullable=True),
        sa.Column("previous_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_credentials_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("username", name=op.f("uq_credentials_username")),
    )
    op.create_index(op.f("ix_credentials_client_id"), "credentials", ["client_id"], unique=False)
    op.create_table(
        "credential_clubs",
        sa.Column("credential_id", Id, nullable=False),
        sa.Column("club_id", Id, nullable=False),
        sa.ForeignKeyConstraint(["club_id"], ["clubs.id"], name=op.f("fk_credential_clubs_club_id_clubs")),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"],
                                name=op.f("fk_credential_clubs_credential_id_credentials")),
        sa.PrimaryKeyConstraint("credential_id", "club_id", name=op.f("pk_credential_clubs")),
    )


def downgrade() -> None:
    op.drop_table("credential_clubs")
    op.drop_index(op.f("ix_credentials_client_id"), table_name="credentials")
    op.drop_table("credentials")
    op.drop_index(op.f("ix_seen_nonces_expires_at"), table_name="seen_nonces")
    op.drop_table("seen_nonces")
