//! A tenant's monthly bill, as text for the terminal and as CSV (the bill's lines, then every
//! billed notification), shared by `avisera bill` and `GET /v1/bill`.

use avisera_domain::billing::{self, Bill, Billed, Month};
use avisera_domain::tenant::Tenant;
use avisera_store::{Store, StoreError};

pub async fn monthly(
    store: &dyn Store,
    prices: &billing::PriceList,
    tenant: &Tenant,
    month: Month,
) -> Result<(Bill, Vec<Billed>), StoreError> {
    let (from, to) = month.bounds();
    let billed = store.billed(tenant.id, from, to).await?;
    let periods = store.plan_periods(tenant.id).await?;
    Ok((billing::bill(month, &periods, prices, &billed), billed))
}

pub fn text(bill: &Bill, tenant: &Tenant) -> String {
    let mut out = format!(
        "Bill {} for {} (tenant {}), SEK excl. VAT\n\n",
        bill.month, tenant.name, tenant.id
    );
    for l in &bill.lines {
        out.push_str(&format!(
            "  {:<58} {:>8} × {:>9} = {:>11}\n",
            l.description, l.quantity, l.unit_price, l.amount
        ));
    }
    out.push_str(&format!("\n  {:<58} {:>32}\n", "Total", bill.total));
    out
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv(bill: &Bill, billed: &[Billed]) -> String {
    let mut out = String::from("line,description,quantity,unit_price_sek,amount_sek\n");
    for l in &bill.lines {
        let kind = serde_json::to_value(&l.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "{kind},{},{},{},{}\n",
            field(&l.description),
            l.quantity,
            l.unit_price,
            l.amount
        ));
    }
    out.push_str(&format!(
        "total,{},,,{}\n",
        field(&format!("bill {}", bill.month)),
        bill.total
    ));
    out.push_str("\nnotification_id,sent_at,channel,tracking_number,recipient,units,unit_price_sek,cost_sek\n");
    for b in billed {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            b.id,
            b.sent_at,
            b.channel,
            field(&b.tracking_number),
            field(&b.recipient),
            b.charge.units,
            b.charge.unit_price,
            b.charge.cost()
        ));
    }
    out
}
