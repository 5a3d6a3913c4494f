//! The storage conformance suite on PostgreSQL through the typed driver.

avisera_store::conformance_tests!(avisera_store_postgres::testing::fresh_postgres());
