//! The storage conformance suite on SQLite.

avisera_store::conformance_tests!(avisera_store_sqlite::testing::fresh_sqlite());
