using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Splits;
using Merx.Models.Classic;
using Merx.Models.Sequential;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// What the shop knows in one seed of a simulation: which users visit, the part of each visitor's
/// real history it has observed (a random 20–80% prefix; the rest is interest the truth knows and
/// the shop must discover), the exploit model (item-kNN fitted on the observed data only) and the
/// user/item vectors: the Transformer (SASRec) trained on the same observed data, or the
/// co-occurrence stand-in (<see cref="SimulationOptions.Vectors"/>). Shared by every policy run of
/// the seed, so policies face the same users.
/// </summary>
public sealed class SimulatedShop
{
    public SimulatedShop(SimulationWorld world, int seed, IProgress<string>? progress = null)
    {
        var o = world.Options;
        Seed = seed;
        var rng = new Random(seed);
        var pool = o.Users > 0 ? o.Users : Math.Max(500, o.Rounds / 10);
        // Visitors are drawn among users with a history (a data set may list users without events: ML-1M's users.dat beside a subset of ratings).
        var active = Enumerable.Range(0, world.UserCount).Where(u => world.Full.LengthOf(u) > 0).ToArray();
        if (active.Length == 0) throw new ArgumentException($"simulation: {world.Name} has no user with events");
        Visitors = active.OrderBy(_ => rng.Next()).Take(Math.Min(pool, active.Length)).ToArray();
        ObservedLength = new int[world.UserCount];
        var lists = new List<IReadOnlyList<int>>(world.UserCount);
        for (var u = 0; u < world.UserCount; u++)
        {
            var full = world.Full.ItemsOf(u);
            ObservedLength[u] = full.Length;
            lists.Add(full.ToArray());
        }
        foreach (var u in Visitors)
        {
            var len = world.Full.LengthOf(u);
            var share = o.MinObserved + (o.MaxObserved - o.MinObserved) * rng.NextDouble();
            ObservedLength[u] = Math.Clamp((int)Math.Round(share * len), 1, len);
            lists[u] = world.Full.ItemsOf(u)[..ObservedLength[u]].ToArray();
        }
        var observed = new TrainingData(UserSequences.FromLists(lists, world.ItemCount));
        Exploit = new ItemKnn();
        Exploit.Fit(observed, FitOptions.Default);
        World = world;
        Encoder = o.Vectors == "sasrec" ? Transformer(observed, progress) : new CooccurrenceEncoder(Exploit, o.VectorDimension, seed);
    }

    /// <summary>SASRec fitted on the observed data, read from <see cref="SimulationOptions.EncoderCache"/> when a run with the same data, seed and settings wrote it.</summary>
    private SasRec Transformer(TrainingData observed, IProgress<string>? progress)
    {
        var o = World.Options;
        var key = $"{World.Name}|{World.UserCount}|{World.ItemCount}|{World.Full.EventCount}|seed {Seed}|{o.Rounds}|{o.Users}|{o.MinObserved}|{o.MaxObserved}|epochs {o.EncoderEpochs}|minutes {o.EncoderMinutes}|loo";
        string? path = null;
        if (o.EncoderCache is { } dir)
        {
            Directory.CreateDirectory(dir);
            path = Path.Combine(dir, $"sasrec-{World.Name}-seed{Seed}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..12].ToLowerInvariant()}.bin");
            if (File.Exists(path))
            {
                progress?.Report($"simulate: seed {Seed}: Transformer read from {path}");
                return ModelFile.Load(path, (name, r) => name == "sim:" + key ? SasRec.Read(r) : throw new InvalidDataException($"{path} holds another simulation's Transformer"));
            }
        }
        // The server's recipe (ModelTrainer): leave-one-out, early stopping on the second-last items, the refit with them.
        var split = Splitter.LeaveOneOut(observed.Train);
        progress?.Report($"simulate: seed {Seed}: training the Transformer (SASRec) on the shop's observed data ({split.Train.EventCount:N0} events, {split.Validation.Count:N0} validation cases)");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = new SasRec();
        model.Fit(new TrainingData(split.Train, observed.Catalog, split.Validation), new FitOptions
        {
            Seed = Seed, MaxEpochs = o.EncoderEpochs, Progress = progress,
            TimeBudget = o.EncoderMinutes is { } m ? TimeSpan.FromMinutes(m) : null,
        });
        progress?.Report($"simulate: seed {Seed}: Transformer trained in {clock.Elapsed.TotalMinutes:F1} min ({model.EpochsRun} epochs, the refit's included)");
        if (path is not null) { ModelFile.Save(path, "sim:" + key, model.Write); progress?.Report($"simulate: seed {Seed}: Transformer cached at {path}"); }
        return model;
    }

    public SimulationWorld World { get; }
    public int Seed { get; }
    public int[] Visitors { get; }
    /// <summary>Per user, how many items of their real history the shop has observed.</summary>
    public int[] ObservedLength { get; }
    public ItemKnn Exploit { get; }
    /// <summary>The user/item vectors of linucb, lints and dynamic.</summary>
    public IUserEncoder Encoder { get; }

    public ReadOnlySpan<int> Observed(int user) => World.Full.ItemsOf(user)[..ObservedLength[user]];
}
