using System.Diagnostics;
using System.Globalization;
using Merx.Core.Domain;
using Merx.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Merx.Benchmarks;

/// <summary>
/// Bulk-import throughput of the SQLite store: appends N generated events (skewed item
/// popularity, funnel-shaped kinds, sessions, a few searches) into a fresh temporary file in one
/// <see cref="SqliteStore.AppendEvents"/> call and reports events/s, including id interning and
/// the commit. The events are generated into memory first so the figure is the store's, not the
/// generator's. <c>--index during|after</c> measures the design the store does not use: a
/// secondary events(user_id, seq) index, created on the empty file before the append (maintained
/// while inserting) or built after it (timed separately). Appends a row to bench/results/store-import.md.
/// <c>store-import --events 10000000 --users 100000 --items 1000000 --seed 42 [--index none|during|after] [--load-dataset] [--cache-mib M] [--keep]</c>
/// </summary>
public sealed class StoreImportBench : IBenchCommand
{
    public string Name => "store-import";

    public int Run(string[] args)
    {
        var opt = Parse(args);
        if (opt is null)
        {
            Console.Error.WriteLine("usage: store-import [--events N] [--users N] [--items N] [--seed S] [--index none|during|after] [--load-dataset] [--cache-mib M] [--keep]");
            return 2;
        }
        var (events, users, items, seed, index, keep, loadDataset, cacheMiB) = opt.Value;
        var path = Path.Combine(Path.GetTempPath(), $"merx-store-import-{Guid.NewGuid():N}.db");
        Console.WriteLine($"store-import: {events:N0} events, {users:N0} users, {items:N0} items, seed {seed}, index {index}, cache {cacheMiB} MiB -> {path}");

        var loadAtStart = BenchFiles.LoadAverage();
        Console.WriteLine($"load average at start (1 min): {loadAtStart}");
        var genWatch = Stopwatch.StartNew();
        var input = Generate(events, users, items, seed).ToArray();
        genWatch.Stop();
        Console.WriteLine($"generated in memory: {genWatch.Elapsed.TotalSeconds:F2} s ({events / genWatch.Elapsed.TotalSeconds:N0} events/s)");

        using var store = SqliteStore.Open(path, new SqliteStoreOptions { CacheSizeKiB = cacheMiB * 1024 });
        if (index == "during") Sql(path, IndexSql);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var batch = store.AppendEvents(input);
        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var rate = batch.Events / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"appended {batch.Events:N0} events ({batch.NewUsers:N0} users, {batch.NewItems:N0} items) in {watch.Elapsed.TotalSeconds:F2} s: {rate:N0} events/s");
        Console.WriteLine($"process CPU time during the append: {cpuSeconds:F2} s ({batch.Events / cpuSeconds:N0} events per CPU-second)");
        Console.WriteLine($"managed allocation during the append: {allocated / (1024.0 * 1024.0):F1} MiB ({allocated / (double)Math.Max(1, batch.Events):F1} B/event; new ids grow the id maps)");
        if (loadDataset)
        {
            var builderWatch = Stopwatch.StartNew();
            var builder = new Merx.Core.Data.DatasetBuilder();
            foreach (var e in input) builder.AddEvent(e);
            var floor = builder.Build();
            Console.WriteLine($"DatasetBuilder alone over the in-memory events: {builderWatch.Elapsed.TotalSeconds:F2} s ({floor.Events.Count / builderWatch.Elapsed.TotalSeconds:N0} events/s)");
        }
        input = null;
        var indexSeconds = 0.0;
        if (index == "after")
        {
            var indexWatch = Stopwatch.StartNew();
            Sql(path, IndexSql);
            indexSeconds = indexWatch.Elapsed.TotalSeconds;
            Console.WriteLine($"events(user_id, seq) index built after: {indexSeconds:F2} s; with it: {batch.Events / (watch.Elapsed.TotalSeconds + indexSeconds):N0} events/s");
        }

        const int lookups = 2000;
        long seen = 0;
        var recentWatch = new Stopwatch();
        for (var pass = 0; pass < 2; pass++)
        {
            var rng = new Random(seed + 1 + pass);
            seen = 0;
            recentWatch.Restart();
            for (var k = 0; k < lookups; k++) seen += store.RecentEvents(UserId(rng.Next(users)), 50).Count;
            recentWatch.Stop();
            Console.WriteLine($"RecentEvents pass {pass}: {recentWatch.Elapsed.TotalMicroseconds / lookups:F1} µs/call");
        }
        var recentUs = recentWatch.Elapsed.TotalMicroseconds / lookups;
        Console.WriteLine($"RecentEvents(user, 50): {recentUs:F1} µs/call ({seen / (double)lookups:F1} events/call)");

        var loadSeconds = 0.0;
        if (loadDataset)
        {
            var loadWatch = Stopwatch.StartNew();
            var d = store.LoadDataset();
            loadSeconds = loadWatch.Elapsed.TotalSeconds;
            Console.WriteLine($"LoadDataset: {d.Events.Count:N0} events, {d.UserCount:N0} users, {d.ItemCount:N0} items in {loadSeconds:F2} s ({d.Events.Count / loadSeconds:N0} events/s)");
        }

        store.Dispose();
        var mib = new FileInfo(path).Length / (1024.0 * 1024.0);
        Console.WriteLine($"file: {mib:F0} MiB");
        if (!keep) foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);

        Record(args, seed, events, users, items, index, watch.Elapsed.TotalSeconds, indexSeconds, rate, recentUs, mib, loadAtStart, loadSeconds, cpuSeconds);
        return 0;
    }

    /// <summary>
    /// Deterministic events with pre-built id strings, so the generator allocates nothing per event
    /// and the measured time is the store's. Items follow a cubic skew (index ∝ u³), users are uniform.
    /// </summary>
    private static IEnumerable<RawEvent> Generate(long n, int users, int items, int seed)
    {
        var userIds = new string[users];
        for (var u = 0; u < users; u++) userIds[u] = UserId(u);
        var itemIds = new string[items];
        for (var i = 0; i < items; i++) itemIds[i] = "item-" + i.ToString(CultureInfo.InvariantCulture);
        var sessions = new string[1024];
        for (var s = 0; s < sessions.Length; s++) sessions[s] = "s" + s.ToString(CultureInfo.InvariantCulture);
        var queries = new[] { "red shoes", "serum", "usb-c cable", "gift for dad", "running jacket" };
        var rng = new Random(seed);
        const long t0 = 1_700_000_000;
        for (long k = 0; k < n; k++)
        {
            var u = rng.Next(users);
            var ts = t0 + k / 20;
            var session = sessions[(int)((u * 31 + ts / 1800) & 1023)];
            var r = rng.Next(100);
            var kind = r switch { < 70 => EventKind.View, < 85 => EventKind.Click, < 93 => EventKind.AddToCart, < 97 => EventKind.Purchase, < 99 => EventKind.Favorite, _ => EventKind.Search };
            if (kind == EventKind.Search)
            {
                yield return new RawEvent(userIds[u], null, kind, ts, 0f, session, queries[rng.Next(queries.Length)]);
                continue;
            }
            var x = rng.NextDouble();
            var item = (int)(x * x * x * items);
            yield return new RawEvent(userIds[u], itemIds[item], kind, ts, kind == EventKind.Purchase ? 1 + rng.Next(3) : 0f, session);
        }
    }

    private const string IndexSql = "CREATE INDEX events_user_seq ON events(user_id, seq)";

    private static void Sql(string path, string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string UserId(int u) => "user-" + u.ToString(CultureInfo.InvariantCulture);

    private static (long Events, int Users, int Items, int Seed, string Index, bool Keep, bool LoadDataset, int CacheMiB)? Parse(string[] args)
    {
        long events = 1_000_000;
        int users = 100_000, items = 1_000_000, seed = 42, cacheMiB = new SqliteStoreOptions().CacheSizeKiB / 1024;
        var index = "none";
        bool keep = false, loadDataset = false;
        for (var a = 0; a < args.Length; a++)
        {
            string Next() => a + 1 < args.Length ? args[++a] : "";
            switch (args[a])
            {
                case "--events": if (!long.TryParse(Next(), out events) || events < 0) return null; break;
                case "--users": if (!int.TryParse(Next(), out users) || users < 1) return null; break;
                case "--items": if (!int.TryParse(Next(), out items) || items < 1) return null; break;
                case "--seed": if (!int.TryParse(Next(), out seed)) return null; break;
                case "--index":
                    index = Next();
                    if (index is not ("none" or "after" or "during")) return null;
                    break;
                case "--keep": keep = true; break;
                case "--load-dataset": loadDataset = true; break;
                case "--cache-mib": if (!int.TryParse(Next(), out cacheMiB) || cacheMiB < 1) return null; break;
                default: return null;
            }
        }
        return (events, users, items, seed, index, keep, loadDataset, cacheMiB);
    }

    private static void Record(string[] args, int seed, long events, int users, int items, string index, double seconds, double indexSeconds, double rate, double recentUs, double mib, string load, double loadSeconds, double cpuSeconds)
    {
        var root = BenchFiles.RepoRoot();
        var dir = Path.Combine(root, "bench", "results");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "store-import.md");
        if (!File.Exists(file))
            File.WriteAllText(file, """
                # store-import: bulk append into the SQLite store

                One `SqliteStore.AppendEvents` call (one transaction) on a fresh temporary file, events
                generated into memory beforehand; the time includes id interning, the inserts and the
                commit (with its WAL checkpoint). The store keeps no secondary index on events: each
                user's events are chained newest-first (users.last_seq, events.prev_seq). `--index`
                measures the alternative: "during" creates events(user_id, seq) before the append,
                "after" builds it after (its seconds are in the "index s" column, not in "seconds").
                RecentEvents is the mean of the second pass of 2,000 calls for random users, limit 50, after
                the load. LoadDataset (with `--load-dataset`) reads the whole store back into a Dataset.
                The machine has 2 cores shared with other jobs ("load avg" is the 1-minute load average when
                the run started): compare rows taken under similar load only. "CPU s" is the process's CPU
                time during the append (all threads): under contention it shows the work done, while
                "seconds" also counts time spent waiting for a core.

                | date (UTC) | command | seed | events | users | items | index | seconds | events/s | CPU s | index s | RecentEvents µs | LoadDataset s | file MiB | cores | load avg |
                |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|

                """);
        var command = "dotnet run -c Release --project bench/Merx.Benchmarks -- store-import " + string.Join(' ', args);
        File.AppendAllText(file, string.Create(CultureInfo.InvariantCulture,
            $"| {DateTime.UtcNow:yyyy-MM-dd HH:mm} | `{command}` | {seed} | {events:N0} | {users:N0} | {items:N0} | {index} | {seconds:F2} | {rate:N0} | {cpuSeconds:F2} | {indexSeconds:F2} | {recentUs:F1} | {(loadSeconds > 0 ? loadSeconds.ToString("F2", CultureInfo.InvariantCulture) : "-")} | {mib:F0} | {Environment.ProcessorCount} | {load} |\n"));
        Console.WriteLine($"wrote {file}");
    }
}
