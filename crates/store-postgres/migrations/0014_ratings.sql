-- Delivery ratings (issue 15): one per shipment, given by its receiver through the rating
-- link. The carrier and the pickup point are the shipment's as it knew them when rated, so
-- the tenant's averages per carrier and pickup point need no join. No foreign keys, like the
-- other tables of receivers' doings. The migrator splits this file at semicolons, so none
-- appears inside a statement or a comment.
CREATE TABLE IF NOT EXISTS ratings (
    tenant_id BIGINT NOT NULL,
    shipment_id BIGINT NOT NULL,
    tracking_number TEXT NOT NULL,
    stars SMALLINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment TEXT,
    rated_at TIMESTAMPTZ NOT NULL,
    carrier TEXT,
    pickup_point TEXT,
    PRIMARY KEY (tenant_id, shipment_id)
);
CREATE INDEX IF NOT EXISTS ratings_by_time ON ratings (tenant_id, rated_at)
