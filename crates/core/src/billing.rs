//! A tenant's monthly bill, as text for the terminal and as CSV (the bill's lines, then every
//! billed notification), shared by `avisera bill`, `GET /v1/bill` and the portal; and what one
//! SMS will cost, shared by the count and the template preview.

use avisera_domain::billing::{self, Bill, Billed, Charge, Month, Prices};
use avisera_domain::money::Ore;
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::sms;
use avisera_domain::tenant::Tenant;
use avisera_store::{StoreError, Usage};
use serde::Serialize;

/// The month's bill, and every billed notification in it.
pub async fn monthly(
    store: &dyn Usage,
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

/// The bill as CSV for programs (`GET /v1/bill?format=csv`, `avisera bill --csv`): the bill's
/// lines and total, a blank line, then every billed notification; amounts in SEK to the öre.
pub fn csv(bill: &Bill, billed: &[Billed]) -> String {
    write_csv(bill, billed, crate::csv::cell)
}

/// The same file for a person's spreadsheet (the portal's download): every text cell that
/// starts like a formula is made inert (`crate::csv::text_cell`).
pub fn spreadsheet_csv(bill: &Bill, billed: &[Billed]) -> String {
    write_csv(bill, billed, crate::csv::text_cell)
}

/// A billed notification's recipient as the bill shows it: masked (`+46 70•••45 67`,
/// `a•••@example.se`), so a bill passed around gives no address away; empty once erased.
fn shown(recipient: &str) -> String {
    if recipient.trim().is_empty() {
        String::new()
    } else {
        avisera_domain::contact::masked(recipient)
    }
}

fn write_csv(bill: &Bill, billed: &[Billed], field: fn(&str) -> String) -> String {
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
            field(&shown(&b.recipient)),
            b.charge.units,
            b.charge.unit_price,
            b.charge.cost()
        ));
    }
    out
}

/// What one SMS with a text is: the text as sent, encoding, characters, units, segments and
/// price — the numbers the worker bills.
#[derive(Debug, Clone, Serialize)]
pub struct SmsQuote {
    /// The text as it will be sent (transliterated when the setting says so).
    pub text: String,
    pub encoding: sms::SmsEncoding,
    pub characters: usize,
    /// Septets (GSM-7) or UTF-16 units.
    pub units: usize,
    pub segments: usize,
    pub price_ore: Ore,
    pub price_sek: String,
    /// The plan the price is for (only when the caller asked with a plan in mind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

pub fn sms_quote(text: &str, transliterate: bool, prices: &Prices) -> SmsQuote {
    let text = sms::as_sent(text, transliterate);
    let c = sms::count(&text);
    let cost = Charge::for_message(Channel::Sms, c.segments, prices).cost();
    SmsQuote {
        encoding: c.encoding,
        characters: c.characters,
        units: c.units,
        segments: c.segments,
        price_ore: cost,
        price_sek: cost.to_string(),
        plan: None,
        text: text.into_owned(),
    }
}
