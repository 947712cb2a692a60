using Merx.Ranking.Bandits;

namespace Merx.Ranking.Tests.Bandits;

public sealed class StateAndMathTests
{
    [Fact]
    public void ShermanMorrison_EqualsDirectInverse()
    {
        const int D = 9;
        var head = new LinearHead(D, lambda: 0.7);
        var a = new double[D, D];
        for (var i = 0; i < D; i++) a[i, i] = 0.7;
        var rng = new Random(11);
        for (var t = 0; t < 300; t++)
        {
            var x = Enumerable.Range(0, D).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            head.Update(x, rng.NextDouble());
            for (var i = 0; i < D; i++)
                for (var j = 0; j < D; j++) a[i, j] += x[i] * x[j];
        }
        var direct = Invert(a);
        for (var i = 0; i < D; i++)
            for (var j = 0; j < D; j++)
                Assert.Equal(direct[i, j], head.Inverse[i * D + j], 9);
    }

    /// <summary>The Cholesky factor is cached per state of A⁻¹: after every update (and a state load) it is the new A⁻¹'s.</summary>
    [Fact]
    public void LinearHead_CholeskyFollowsEveryUpdateAndLoad()
    {
        const int D = 6;
        var head = new LinearHead(D, lambda: 0.5);
        var rng = new Random(5);
        void AssertFactors(LinearHead h)
        {
            var l = h.Cholesky();
            Assert.Same(l, h.Cholesky());
            for (var i = 0; i < D; i++)
                for (var j = 0; j < D; j++)
                {
                    double s = 0;
                    for (var p = 0; p < D; p++) s += l[i * D + p] * l[j * D + p];
                    Assert.Equal(h.Inverse[i * D + j], s, 10);
                }
        }
        for (var t = 0; t < 40; t++)
        {
            AssertFactors(head);
            head.Update(Enumerable.Range(0, D).Select(_ => rng.NextDouble() * 2 - 1).ToArray(), rng.NextDouble());
        }
        var copy = new LinearHead(D, lambda: 0.5);
        _ = copy.Cholesky();
        using var buffer = new MemoryStream();
        head.Write(new BinaryWriter(buffer));
        buffer.Position = 0;
        copy.Read(new BinaryReader(buffer));
        AssertFactors(copy);
    }

    [Fact]
    public void LinearHead_RecoversKnownWeights()
    {
        double[] w = [0.5, -0.25, 0.1];
        var head = new LinearHead(3, 1e-3);
        var rng = new Random(2);
        for (var t = 0; t < 500; t++)
        {
            var x = new[] { rng.NextDouble(), rng.NextDouble(), 1.0 };
            head.Update(x, w[0] * x[0] + w[1] * x[1] + w[2]);
        }
        for (var i = 0; i < 3; i++) Assert.Equal(w[i], head.Theta[i], 4);
    }

    [Theory]
    [InlineData("greedy")]
    [InlineData("egreedy")]
    [InlineData("ucb")]
    [InlineData("thompson")]
    [InlineData("thompson-seg")]
    [InlineData("linucb")]
    [InlineData("lints")]
    [InlineData("dynamic")]
    public void SaveLoad_RoundTrip_GivesIdenticalDecisions(string name)
    {
        var encoder = new OneHotEncoder(BanditTestKit.Arms);
        var a = BanditPolicies.Create(name, encoder, seed: 4);
        Play(a, encoder, 300, new Random(1));
        var b = BanditPolicies.Create(name, encoder, seed: 99);
        b.LoadState(a.SaveState());
        var ra = new Random(7); var rb = new Random(7);
        var da = Play(a, encoder, 100, ra); var db = Play(b, encoder, 100, rb);
        Assert.Equal(da, db);
        Assert.Equal(a.SaveState(), b.SaveState());
    }

    [Fact]
    public void CorruptedOrForeignState_IsRejected()
    {
        var p = new ThompsonPolicy(seed: 1);
        Play(p, null, 50, new Random(3));
        var bytes = p.SaveState();
        bytes[^40] ^= 0x5A;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => new ThompsonPolicy().LoadState(bytes)).Message);
        Assert.Contains("bandit:greedy", Assert.Throws<InvalidDataException>(() => new ThompsonPolicy().LoadState(new GreedyPolicy().SaveState())).Message);
        var lin = new LinUcbPolicy(new OneHotEncoder(4)).SaveState();
        Assert.Throws<InvalidDataException>(() => new LinUcbPolicy(new OneHotEncoder(5)).LoadState(lin));
    }

    private static List<(int, bool)> Play(IBanditPolicy p, OneHotEncoder? encoder, int rounds, Random rng)
    {
        var decisions = new List<(int, bool)>();
        var c = BanditTestKit.Candidates();
        for (var t = 0; t < rounds; t++)
        {
            var request = BanditTestKit.Request(encoder, history: t % 30) with { RecentImpressions = t % 7, RecentClicks = t % 3 == 0 ? 1 : 0, KnownCategories = new HashSet<int> { 0 } };
            var slate = p.Select(request, c, 3);
            for (var s = 0; s < slate.Picks.Length; s++)
            {
                var pick = slate.Picks[s];
                decisions.Add((pick.Item, pick.Explored));
                p.Update(new BanditFeedback { Request = request, Item = pick.Item, ExploitRank = pick.ExploitRank, Slot = s, SlateSize = 3, Clicked = rng.NextDouble() < BanditTestKit.TrueCtr(pick.Item) });
            }
        }
        return decisions;
    }

    private static double[,] Invert(double[,] m)
    {
        var n = m.GetLength(0);
        var a = (double[,])m.Clone();
        var inv = new double[n, n];
        for (var i = 0; i < n; i++) inv[i, i] = 1;
        for (var col = 0; col < n; col++)
        {
            var piv = col;
            for (var r = col + 1; r < n; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[piv, col])) piv = r;
            for (var j = 0; j < n; j++) { (a[col, j], a[piv, j]) = (a[piv, j], a[col, j]); (inv[col, j], inv[piv, j]) = (inv[piv, j], inv[col, j]); }
            var d = a[col, col];
            for (var j = 0; j < n; j++) { a[col, j] /= d; inv[col, j] /= d; }
            for (var r = 0; r < n; r++)
            {
                if (r == col) continue;
                var f = a[r, col];
                for (var j = 0; j < n; j++) { a[r, j] -= f * a[col, j]; inv[r, j] -= f * inv[col, j]; }
            }
        }
        return inv;
    }
}
