using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Classic;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// The ground truth of a simulation, built once per data set: the (possibly popularity-trimmed)
/// user sequences, one category per item, and per user the true top-<see cref="SimulationOptions.TruthDepth"/>
/// items with their click probabilities, from EASE fitted on the whole data set and scored from the
/// user's full history. Lookups are binary searches in per-user arrays sorted by item, so a round
/// never makes a pass over the catalog for the truth.
/// </summary>
public sealed class SimulationWorld
{
    private readonly int[][] _truthItems;   // per user, sorted by item
    private readonly float[][] _truthProb;  // aligned with _truthItems
    private readonly int[][] _truthByRank;  // per user, best first

    private SimulationWorld(string name, UserSequences full, int[] category, int categoryCount, int[][] items, float[][] probs, int[][] byRank, SimulationOptions o, float lambda)
    {
        Name = name; Full = full; Category = category; CategoryCount = categoryCount;
        _truthItems = items; _truthProb = probs; _truthByRank = byRank; Options = o; Lambda = lambda;
        var pop = new List<int>(full.EventCount);
        pop.AddRange(full.Items);
        EventItems = pop.ToArray();
    }

    public string Name { get; }
    public UserSequences Full { get; }
    public int ItemCount => Full.ItemCount;
    public int UserCount => Full.UserCount;
    /// <summary>(ItemCount) category id per item, −1 when unknown.</summary>
    public int[] Category { get; }
    public int CategoryCount { get; }
    public SimulationOptions Options { get; }
    /// <summary>EASE's λ for the ground truth.</summary>
    public float Lambda { get; }
    /// <summary>Every event's item: a uniform draw from it is a popularity-proportional item draw.</summary>
    public int[] EventItems { get; }

    /// <summary>Base click probability (before position bias and repeat decay) of an item for a user.</summary>
    public double Truth(int user, int item)
    {
        var i = Array.BinarySearch(_truthItems[user], item);
        return i >= 0 ? _truthProb[user][i] : Options.FloorCtr;
    }

    /// <summary>The user's true top items, best first.</summary>
    public ReadOnlySpan<int> TruthRanking(int user) => _truthByRank[user];

    public double ClickProbability(int rank) => rank < Options.TruthDepth ? Options.TopCtr / (1 + rank / Options.RankScale) : Options.FloorCtr;

    /// <param name="cachePath">when given, the per-user truth rankings are read from this file if it was written for the same data and options, else computed and written there (saves the EASE fit between runs)</param>
    public static SimulationWorld Build(string name, Dataset dataset, SimulationOptions o, IProgress<string>? progress = null, string? cachePath = null)
    {
        o.Validate();
        var (full, kept) = Trim(dataset.Sequences, o.MaxItems);
        if (full.UserCount < 2 || full.ItemCount < o.Candidates + o.Slate)
            throw new InvalidOperationException($"simulation needs at least 2 users and more than {o.Candidates + o.Slate} items; the data set has {full.UserCount} users and {full.ItemCount} items after trimming");
        var (category, categoryCount) = ItemCategories.Assign(dataset.Catalog, kept);
        progress?.Report($"simulate: {name}: {full.UserCount:N0} users, {full.ItemCount:N0} items{(kept.Length < dataset.ItemCount ? $" (the {kept.Length:N0} most popular of {dataset.ItemCount:N0})" : "")}, {categoryCount:N0} categories");
        var key = $"{name}|{full.UserCount}|{full.ItemCount}|{full.EventCount}|{o.TruthDepth}|{o.MaxItems}";
        if (cachePath is not null && TryReadCache(cachePath, key, full.UserCount) is { } cached)
        {
            progress?.Report($"simulate: ground truth read from {cachePath}");
            return FromRankings(name, full, category, categoryCount, cached.ByRank, o, cached.Lambda);
        }
        var data = new TrainingData(full);
        double sumSq = 0;
        foreach (var v in data.Matrix.Values) sumSq += (double)v * v;
        var lambda = (float)Math.Round(3.2 * Math.Max(1e-3, sumSq / full.ItemCount), 3);
        progress?.Report($"simulate: fitting the ground truth (EASE, λ={lambda}) on all {full.EventCount:N0} events");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ease = new Ease([lambda]);
        ease.Fit(data, FitOptions.Default);
        progress?.Report($"simulate: ground truth fitted in {clock.Elapsed.TotalSeconds:F0} s; ranking each user's top {o.TruthDepth}");
        var n = full.ItemCount;
        var items = new int[full.UserCount][]; var probs = new float[full.UserCount][]; var byRank = new int[full.UserCount][];
        var tmp = new SimulationWorld(name, full, category, categoryCount, items, probs, byRank, o, lambda);
        Parallel.For(0, full.UserCount, () => new float[n], (u, _, scores) =>
        {
            ease.Score(-1, full.ItemsOf(u), scores);
            var top = TopK.Select(scores, o.TruthDepth);
            byRank[u] = top.Select(t => t.Item).ToArray();
            var ids = (int[])byRank[u].Clone();
            var p = new float[ids.Length];
            for (var r = 0; r < p.Length; r++) p[r] = (float)tmp.ClickProbability(r);
            Array.Sort(ids, p);
            items[u] = ids; probs[u] = p;
            return scores;
        }, _ => { });
        if (cachePath is not null) WriteCache(cachePath, key, byRank, lambda);
        return tmp;
    }

    private static SimulationWorld FromRankings(string name, UserSequences full, int[] category, int categoryCount, int[][] byRank, SimulationOptions o, float lambda)
    {
        var items = new int[byRank.Length][]; var probs = new float[byRank.Length][];
        var w = new SimulationWorld(name, full, category, categoryCount, items, probs, byRank, o, lambda);
        for (var u = 0; u < byRank.Length; u++)
        {
            var ids = (int[])byRank[u].Clone();
            var p = new float[ids.Length];
            for (var r = 0; r < p.Length; r++) p[r] = (float)w.ClickProbability(r);
            Array.Sort(ids, p);
            items[u] = ids; probs[u] = p;
        }
        return w;
    }

    private static void WriteCache(string path, string key, int[][] byRank, float lambda) =>
        ModelFile.Save(path, "simulation-truth", w =>
        {
            w.Write(key); w.Write(lambda); w.Write(byRank.Length);
            foreach (var r in byRank) { w.Write(r.Length); foreach (var i in r) w.Write(i); }
        });

    private static (int[][] ByRank, float Lambda)? TryReadCache(string path, string key, int users)
    {
        if (!File.Exists(path)) return null;
        return ModelFile.Load<(int[][], float)?>(path, (name, r) =>
        {
            if (name != "simulation-truth" || r.ReadString() != key) return null;
            var lambda = r.ReadSingle();
            var n = r.ReadInt32();
            if (n != users) return null;
            var byRank = new int[n][];
            for (var u = 0; u < n; u++)
            {
                var a = byRank[u] = new int[r.ReadInt32()];
                for (var j = 0; j < a.Length; j++) a[j] = r.ReadInt32();
            }
            return (byRank, lambda);
        });
    }

    /// <summary>Keeps the <paramref name="maxItems"/> most popular items (re-indexed) and users left with ≥ 2 of them.</summary>
    private static (UserSequences Seqs, int[] Kept) Trim(UserSequences s, int maxItems)
    {
        if (s.ItemCount <= maxItems) return (s, Enumerable.Range(0, s.ItemCount).ToArray());
        var count = new int[s.ItemCount];
        foreach (var i in s.Items) count[i]++;
        var kept = Enumerable.Range(0, s.ItemCount).OrderByDescending(i => count[i]).ThenBy(i => i).Take(maxItems).Order().ToArray();
        var map = new int[s.ItemCount];
        Array.Fill(map, -1);
        for (var j = 0; j < kept.Length; j++) map[kept[j]] = j;
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < s.UserCount; u++)
        {
            var l = new List<int>();
            foreach (var i in s.ItemsOf(u))
                if (map[i] >= 0) l.Add(map[i]);
            if (l.Count >= 2) lists.Add(l);
        }
        return (UserSequences.FromLists(lists, kept.Length), kept);
    }
}
