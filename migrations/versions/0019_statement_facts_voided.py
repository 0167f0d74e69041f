"""``statement_facts.voided``: reports that leave voided statements out stay on the narrow table.

The README tells report writers to add ``{"$match": {"voided": false}}`` to leave voided
statements out; without the flag here such a report read ``statements``, several times slower.
The flag is copied when a statement is stored, and kept by a row trigger that fires only when
``statements.voided`` changes (a statement is voided once; the other updates of a statement row
do not fire it). Existing voided statements are marked here.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# As migration 0018 wrote it, plus ``voided`` (a migration never imports another).
_COLUMNS = (
    'lrs_id, id, organisation_id, stored, "timestamp", person, verb, object, object_type, '
    "platform, scaled, raw, success, completion"
)
_VALUES = """
    lrs_id, id, organisation_id, stored, "timestamp",
    coalesce(
        statement #>> '{actor,mbox}',
        (statement #>> '{actor,account,homePage}') || '|'
            || (statement #>> '{actor,account,name}'),
        statement #>> '{actor,openid}',
        statement #>> '{actor,mbox_sha1sum}'
    ),
    statement #>> '{verb,id}',
    statement #>> '{object,id}',
    statement #>> '{object,objectType}',
    statement #>> '{context,platform}',
    statement #> '{result,score,scaled}',
    statement #> '{result,score,raw}',
    statement #> '{result,success}',
    statement #> '{result,completion}'
"""


_ADDING = """
    CREATE OR REPLACE FUNCTION lrs_add_statement_facts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO statement_facts (<columns>) SELECT <values> FROM added;
        RETURN NULL;
    END $$
"""


def _adding(columns: str, values: str) -> str:
    return _ADDING.replace("<columns>", columns).replace("<values>", values)


def upgrade() -> None:
    op.execute("ALTER TABLE statement_facts ADD COLUMN voided boolean NOT NULL DEFAULT false")
    op.execute(
        "UPDATE statement_facts f SET voided = true FROM statements s "
        "WHERE s.voided AND s.lrs_id = f.lrs_id AND s.id = f.id"
    )
    op.execute(_adding(f"{_COLUMNS}, voided", f"{_VALUES}, voided"))
    op.execute(
        "CREATE FUNCTION lrs_void_statement_facts() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE statement_facts SET voided = NEW.voided "
        "WHERE lrs_id = NEW.lrs_id AND id = NEW.id; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER statements_void_facts AFTER UPDATE OF voided ON statements "
        "FOR EACH ROW WHEN (OLD.voided IS DISTINCT FROM NEW.voided) "
        "EXECUTE FUNCTION lrs_void_statement_facts()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER statements_void_facts ON statements")
    op.execute("DROP FUNCTION lrs_void_statement_facts()")
    op.execute(_adding(_COLUMNS, _VALUES))
    op.execute("ALTER TABLE statement_facts DROP COLUMN voided")
