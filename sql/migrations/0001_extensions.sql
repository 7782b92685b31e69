-- ReliefLink schema, migration 0001: extensions the schema relies on.
-- The org tree (county → township → village) keeps an ltree path per org, so that
-- "a township sees its villages' rows" is one indexed predicate (DESIGN.md, Tenancy).
CREATE EXTENSION IF NOT EXISTS ltree;
