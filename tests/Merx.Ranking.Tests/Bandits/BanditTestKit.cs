using Merx.Core.Contracts;
using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

/// <summary>A tiny Bernoulli bandit with a known best arm the exploit score hides, and a one-hot encoder.</summary>
internal static class BanditTestKit
{
    public const int Arms = 20, BestArm = 7;

    /// <summary>Arm 7 is clicked 30% of the time, the others 5%; the exploit scores rank arm 7 twelfth.</summary>
    public static double TrueCtr(int arm) => arm == BestArm ? 0.30 : 0.05;

    public static BanditCandidate[] Candidates()
    {
        var order = Enumerable.Range(0, Arms).Where(i => i != BestArm).ToList();
        order.Insert(12, BestArm);
        return order.Select((item, pos) => new BanditCandidate(item, Arms - pos, item % 4)).ToArray();
    }

    public static BanditRequest Request(OneHotEncoder? encoder = null, int history = 5) => new()
    {
        UserKey = "u", HistoryLength = history,
        UserVector = encoder is null ? ReadOnlyMemory<float>.Empty : Enumerable.Repeat(1f, encoder.Dimension).ToArray(),
    };

    /// <summary>Runs <paramref name="rounds"/> rounds with a slate of one; returns the share of the last quarter that picked the best arm.</summary>
    public static double BestArmShare(IBanditPolicy policy, int rounds, OneHotEncoder? encoder = null, int seed = 1)
    {
        var rng = new Random(seed);
        var candidates = Candidates();
        var request = Request(encoder);
        int best = 0, counted = 0;
        for (var t = 0; t < rounds; t++)
        {
            var pick = policy.Select(request, candidates, 1).Picks[0];
            var clicked = rng.NextDouble() < TrueCtr(pick.Item);
            policy.Update(new BanditFeedback { Request = request, Item = pick.Item, ExploitRank = pick.ExploitRank, Clicked = clicked, SlateSize = 1, Explored = pick.Explored });
            if (t >= rounds * 3 / 4) { counted++; if (pick.Item == BestArm) best++; }
        }
        return (double)best / counted;
    }
}

/// <summary>Item i's vector is the i-th unit vector, so u ⊙ vᵢ with u = 1 makes a linear head per-arm.</summary>
internal sealed class OneHotEncoder(int items) : IUserEncoder
{
    private readonly float[] _vectors = Enumerable.Range(0, items * items).Select(j => j / items == j % items ? 1f : 0f).ToArray();
    public int Dimension => items;
    public Merx.Numerics.VectorTable ItemVectors => Merx.Numerics.VectorTable.OfFloats(_vectors, items, items);
    public void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector) => vector[..items].Fill(1);
}
