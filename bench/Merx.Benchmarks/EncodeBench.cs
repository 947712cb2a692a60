using Merx.Storage;
using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Models;
using Merx.Storage.Sqlite;

namespace Merx.Benchmarks;

/// <summary>
/// Cost of the serving path's model work for the latest published model of a store: encoding a user
/// from a history of the given length, and a full exact scoring pass, median over N users.
/// <c>encode --db FILE [--model sasrec] [--users 1000] [--length 50]</c>
/// </summary>
public sealed class EncodeBench : IBenchCommand
{
    public string Name => "encode";

    public int Run(string[] args)
    {
        string? db = null, model = "sasrec"; int users = 1000, length = 50;
        for (var i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--db": db = args[i + 1]; break;
                case "--model": model = args[i + 1]; break;
                case "--users": users = int.Parse(args[i + 1]); break;
                case "--length": length = int.Parse(args[i + 1]); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        if (db is null) { Console.Error.WriteLine("usage: encode --db FILE [--model sasrec] [--users N] [--length L]"); return 2; }
        using var store = SqliteStore.Open(db);
        var version = store.LatestModel(model) ?? throw new InvalidOperationException($"no model '{model}' in {db}");
        var package = ModelPackage.FromBytes(store.ReadModelPayload(version.Version), ModelRegistry.Read);
        var m = package.Model;
        var encoder = m as IUserEncoder ?? throw new InvalidOperationException($"{model} is not a user encoder");
        var rng = new Random(42);
        var vector = new float[encoder.Dimension];
        var scores = new float[m.ItemCount];
        var encode = new List<double>(); var score = new List<double>();
        for (var u = 0; u < users; u++)
        {
            var history = Enumerable.Range(0, length).Select(_ => rng.Next(m.ItemCount)).ToArray();
            var t0 = Stopwatch.GetTimestamp();
            encoder.EncodeUser(-1, history, vector);
            var t1 = Stopwatch.GetTimestamp();
            m.Score(-1, history, scores);
            var t2 = Stopwatch.GetTimestamp();
            if (u >= 50) { encode.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds); score.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds); }
        }
        encode.Sort(); score.Sort();
        Console.WriteLine($"{model} v{version.Version}, {m.ItemCount:N0} items, d={encoder.Dimension}, history {length}: EncodeUser median {encode[encode.Count / 2]:F3} ms (p99 {encode[(int)(encode.Count * 0.99)]:F3}); Score (encode + all items) median {score[score.Count / 2]:F3} ms");
        return 0;
    }
}
