using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Merx.Storage;
using Merx.Storage.Postgres;
using StackExchange.Redis;

namespace Merx.Benchmarks;

/// <summary>
/// Issue 18's choice of cache-coherence channel, measured: how long after a replica starts a write
/// does another process hear of it, with PostgreSQL LISTEN/NOTIFY (the notification sent inside the
/// writing transaction, as Merx's stores do) versus Redis pub/sub (the same transaction committed, then
/// PUBLISH, which is the only order a Redis channel allows). Each round writes one small row in its own
/// transaction; the listener is a second connection in this process. Reported per channel: write start →
/// heard (what a replica's cache waits for) and write start → writer returns (what the writer pays),
/// median / p99 / max, plus the raw channel alone (NOTIFY in autocommit, PUBLISH alone).
/// <c>coherence-latency --pg postgres://USER@HOST:PORT/DB --redis HOST:PORT [--rounds 5000] [--warmup 200] [--json OUT]</c>
/// </summary>
public sealed class CoherenceLatencyBench : IBenchCommand
{
    public string Name => "coherence-latency";

    public int Run(string[] args)
    {
        string? pg = null, redis = null, json = null; int rounds = 5000, warmup = 200;
        for (var i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--pg": pg = args[i + 1]; break;
                case "--redis": redis = args[i + 1]; break;
                case "--rounds": rounds = int.Parse(args[i + 1]); break;
                case "--warmup": warmup = int.Parse(args[i + 1]); break;
                case "--json": json = args[i + 1]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        if (pg is null || redis is null || rounds < 1 || warmup < 0)
        {
            Console.Error.WriteLine("usage: coherence-latency --pg postgres://USER@HOST:PORT/DB --redis HOST:PORT [--rounds N] [--warmup N] [--json OUT]");
            return 2;
        }
        if (StoreLocation.Parse(pg) is not PostgresLocation location)
        {
            Console.Error.WriteLine("--pg must be a postgres:// URL");
            return 2;
        }
        var connectionString = PostgresStore.ConnectionString(location, new PostgresStoreOptions()).ConnectionString;
        using var writer = new NpgsqlConnection(connectionString);
        writer.Open();
        using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS merx_coherence_bench (id bigserial PRIMARY KEY, payload text NOT NULL)", writer))
            create.ExecuteNonQuery();
        using var redisConnection = ConnectionMultiplexer.Connect(redis);
        var publisher = redisConnection.GetSubscriber();

        var heard = new ConcurrentDictionary<string, long>();
        using var listener = new NpgsqlConnection(connectionString);
        listener.Open();
        listener.Notification += (_, e) => heard[e.Payload] = Stopwatch.GetTimestamp();
        using (var listen = new NpgsqlCommand("LISTEN merx_coherence_bench", listener)) listen.ExecuteNonQuery();
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            try { while (!stop.IsCancellationRequested) await listener.WaitAsync(stop.Token); }
            catch (OperationCanceledException) { }
        });
        var channel = RedisChannel.Literal("merx_coherence_bench");
        redisConnection.GetSubscriber().Subscribe(channel, (_, message) => heard[message.ToString()] = Stopwatch.GetTimestamp());

        // Rounds interleave the four modes (rotating which goes first) so load on a shared machine falls on all alike.
        string[] modes = ["notify-in-transaction", "commit-then-redis-publish", "notify-alone", "redis-publish-alone"];
        var toHeard = modes.ToDictionary(m => m, _ => new List<double>(rounds));
        var toReturn = modes.ToDictionary(m => m, _ => new List<double>(rounds));
        var missing = modes.ToDictionary(m => m, _ => 0);
        for (var r = -warmup; r < rounds; r++)
            for (var k = 0; k < modes.Length; k++)
            {
                var mode = modes[(k + r + warmup) % modes.Length];
                var payload = $"{mode}:{r}";
                var start = Stopwatch.GetTimestamp();
                switch (mode)
                {
                    case "notify-in-transaction":
                        using (var tx = writer.BeginTransaction())
                        {
                            Exec(writer, tx, "INSERT INTO merx_coherence_bench (payload) VALUES ($1)", payload);
                            Exec(writer, tx, "SELECT pg_notify('merx_coherence_bench', $1)", payload);
                            tx.Commit();
                        }
                        break;
                    case "commit-then-redis-publish":
                        using (var tx = writer.BeginTransaction())
                        {
                            Exec(writer, tx, "INSERT INTO merx_coherence_bench (payload) VALUES ($1)", payload);
                            tx.Commit();
                        }
                        publisher.Publish(channel, payload);
                        break;
                    case "notify-alone":
                        Exec(writer, null, "SELECT pg_notify('merx_coherence_bench', $1)", payload);
                        break;
                    default:
                        publisher.Publish(channel, payload);
                        break;
                }
                var returned = Stopwatch.GetTimestamp();
                long at;
                var waited = Stopwatch.StartNew();
                while (!heard.TryRemove(payload, out at))
                {
                    if (waited.ElapsedMilliseconds > 2000) { at = -1; break; }
                    Thread.SpinWait(50);
                }
                if (r < 0) continue;
                if (at < 0) { missing[mode]++; continue; }
                toHeard[mode].Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
                toReturn[mode].Add(Stopwatch.GetElapsedTime(start, returned).TotalMilliseconds);
            }
        var results = new Dictionary<string, object>();
        foreach (var mode in modes)
        {
            var summary = new { rounds, missing = missing[mode], heard_ms = Percentiles(toHeard[mode]), writer_ms = Percentiles(toReturn[mode]) };
            results[mode] = summary;
            Console.Error.WriteLine($"{mode,-26} heard: median {summary.heard_ms.median:F3} ms p99 {summary.heard_ms.p99:F3} ms max {summary.heard_ms.max:F3} ms; writer returns: median {summary.writer_ms.median:F3} ms p99 {summary.writer_ms.p99:F3} ms; missing {summary.missing}");
        }
        stop.Cancel();
        try { pump.Wait(); } catch (AggregateException) { }
        using (var drop = new NpgsqlCommand("DROP TABLE merx_coherence_bench", writer)) drop.ExecuteNonQuery();
        var report = JsonSerializer.Serialize(new { command = "coherence-latency " + string.Join(' ', args.Select(a => a.Contains("://") ? StoreLocation.Parse(a).ToString() : a)), results }, new JsonSerializerOptions { WriteIndented = true });
        if (json is not null) File.WriteAllText(json, report);
        Console.WriteLine(report);
        return 0;
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, string payload)
    {
        using var command = new NpgsqlCommand(sql, c, tx);
        command.Parameters.AddWithValue(payload);
        command.ExecuteNonQuery();
    }

    private sealed record Spread(double median, double p99, double max);

    private static Spread Percentiles(List<double> values)
    {
        if (values.Count == 0) return new Spread(double.NaN, double.NaN, double.NaN);
        values.Sort();
        return new Spread(values[values.Count / 2], values[Math.Min(values.Count - 1, (int)(0.99 * values.Count))], values[^1]);
    }
}
