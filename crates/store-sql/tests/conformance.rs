//! The storage conformance suite, once on SQLite and once on PostgreSQL.

mod sqlite {
    avisera_store::conformance_tests!(avisera_store_sql::testing::fresh_sqlite());
}

mod postgres {
    avisera_store::conformance_tests!(avisera_store_sql::testing::fresh_postgres());
}
