// The graphile-worker peer of scripts/bench-scale: the same work as Avisera's end-to-end run,
// as a PostgreSQL job queue. Each job does one INSERT and one POST to the SMS provider.
//
//   node peer.mjs worker   migrates, starts one runner at concurrency 10, prints "ready"
//   node peer.mjs add      adds JOBS jobs through graphile_worker.add_jobs (the bulk SQL
//                          function of 0.16), BATCH per call from CLIENTS connections at once
//
// Environment: DATABASE_URL, PROVIDER_URL (worker), JOBS, BATCH, CLIENTS, RUN (add).
import { run, makeWorkerUtils, Logger } from "graphile-worker";

// Warnings and errors only: the default logger writes a line per completed job, which would
// cost the peer a console write per job that Avisera's node (logging at warn) does not pay.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

const env = (name, fallback) => process.env[name] ?? fallback;
const connectionString = env("DATABASE_URL");

async function worker() {
  const provider = env("PROVIDER_URL");
  const utils = await makeWorkerUtils({ connectionString, logger });
  await utils.migrate();
  await utils.withPgClient((c) =>
    c.query("create table if not exists bench_sent (id bigserial primary key, tracking text not null, phone text not null, at timestamptz not null default now())"),
  );
  await utils.release();
  const runner = await run({
    connectionString,
    concurrency: 10,
    pollInterval: 1000,
    noHandleSignals: false,
    logger,
    taskList: {
      send: async (job, helpers) => {
        await helpers.query("insert into bench_sent (tracking, phone) values ($1, $2)", [job.tracking, job.phone]);
        const r = await fetch(provider, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ from: "Peer", to: job.phone, text: `Hej Anna, levererat: ${job.tracking}` }),
        });
        if (!r.ok) throw new Error(`provider answered ${r.status}`);
        await r.arrayBuffer();
      },
    },
  });
  console.log("ready");
  await runner.promise;
}

async function add() {
  const jobs = Number(env("JOBS", "40000"));
  const batch = Number(env("BATCH", "500"));
  const clients = Number(env("CLIENTS", "4"));
  const runId = env("RUN", "0");
  const utils = await makeWorkerUtils({ connectionString, logger });
  // The driver's clock starts here, connected, as Avisera's starts at its clients' first POST.
  console.log("start");
  let next = 0;
  const client = async () => {
    for (;;) {
      const from = next;
      if (from >= jobs) return;
      next = Math.min(jobs, from + batch);
      const specs = [];
      for (let i = from; i < next; i++) {
        const phone = `+4670${String(1_000_000 + (i % 8_000_000)).padStart(7, "0")}`;
        specs.push({ identifier: "send", payload: { tracking: `G${runId}E${i}`, phone } });
      }
      await utils.withPgClient((c) =>
        c.query(
          "select count(*) from graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, $1::json)))",
          [JSON.stringify(specs)],
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  await utils.release();
  console.log("added");
}

const mode = process.argv[2];
if (mode === "worker") await worker();
else if (mode === "add") await add();
else {
  console.error("usage: node peer.mjs worker|add");
  process.exit(2);
}
