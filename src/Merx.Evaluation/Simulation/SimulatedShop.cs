using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Models.Classic;

namespace Merx.Evaluation.Simulation;

/// <summary>
/// What the shop knows in one seed of a simulation: which users visit, the part of each visitor's
/// real history it has observed (a random 20–80% prefix; the rest is interest the truth knows and
/// the shop must discover), the exploit model (item-kNN fitted on the observed data only) and the
/// user/item vectors. Shared by every policy run of the seed, so policies face the same users.
/// </summary>
public sealed class SimulatedShop
{
    public SimulatedShop(SimulationWorld world, int seed)
    {
        var o = world.Options;
        Seed = seed;
        var rng = new Random(seed);
        var pool = o.Users > 0 ? o.Users : Math.Max(500, o.Rounds / 10);
        Visitors = Enumerable.Range(0, world.UserCount).OrderBy(_ => rng.Next()).Take(Math.Min(pool, world.UserCount)).ToArray();
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
        Exploit = new ItemKnn();
        Exploit.Fit(new TrainingData(UserSequences.FromLists(lists, world.ItemCount)), FitOptions.Default);
        Encoder = new CooccurrenceEncoder(Exploit, o.VectorDimension, seed);
        World = world;
    }

    public SimulationWorld World { get; }
    public int Seed { get; }
    public int[] Visitors { get; }
    /// <summary>Per user, how many items of their real history the shop has observed.</summary>
    public int[] ObservedLength { get; }
    public ItemKnn Exploit { get; }
    public CooccurrenceEncoder Encoder { get; }

    public ReadOnlySpan<int> Observed(int user) => World.Full.ItemsOf(user)[..ObservedLength[user]];
}
