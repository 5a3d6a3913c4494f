-- Several brands per tenant (issue 16): the brands besides the default one (`brand`), each
-- with its id, as a JSON list of {"id": n, "brand": {...}}. A rule names one by id in its body.
ALTER TABLE tenants ADD COLUMN brands TEXT NOT NULL DEFAULT '[]';
