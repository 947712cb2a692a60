using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Evaluation.Attacks;

namespace Merx.Evaluation.Tests.Attacks;

/// <summary>The fake-profile generators: exact counts and shapes on a data set whose popularity is known (issue 20).</summary>
public sealed class ShillingAttacksTests
{
    private const int Items = 200;

    /// <summary>
    /// 100 users (plus one without events). Item i (i &lt; 100) is held by the users u with u % (i / 10 + 1) == 0, so item
    /// popularity falls in steps of ten items; items 100..199 have no users. Every user also holds item 0 (held by all).
    /// With <paramref name="clock"/>, timestamps are Unix seconds one hour apart from 2020-01-01 plus a day per user.
    /// </summary>
    private static UserSequences Data(bool clock = false)
    {
        var lists = new List<List<int>>();
        for (var u = 0; u < 100; u++)
            lists.Add(Enumerable.Range(0, 100).Where(i => u % (i / 10 + 1) == 0).ToList());
        lists.Add([]);
        var offsets = new int[lists.Count + 1];
        for (var u = 0; u < lists.Count; u++) offsets[u + 1] = offsets[u] + lists[u].Count;
        var items = lists.SelectMany(l => l).ToArray();
        var times = new long[items.Length];
        for (var u = 0; u < lists.Count; u++)
            for (var k = 0; k < lists[u].Count; k++)
                times[offsets[u] + k] = clock ? 1_577_836_800L + u * 86_400L + k * 3_600L : k;
        return new UserSequences(Items, offsets, items, times, new EventKind[items.Length]);
    }

    /// <summary>
    /// 600 users of a 300-item shop: 12–30 distinct items each, drawn with Zipf-like popularity (item i weighs 1 / (i + 5)),
    /// one hour apart from a per-user start day (seeded).
    /// </summary>
    private static UserSequences Shop()
    {
        var rng = new Random(11);
        const int items = 300;
        var weights = Enumerable.Range(0, items).Select(i => 1.0 / (i + 5)).ToArray();
        var total = weights.Sum();
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < 600; u++)
        {
            var held = new List<int>();
            var length = rng.Next(12, 31);
            while (held.Count < length)
            {
                var x = rng.NextDouble() * total;
                var i = 0;
                while ((x -= weights[i]) > 0 && i < items - 1) i++;
                if (!held.Contains(i)) held.Add(i);
            }
            lists.Add(held);
        }
        var seq = UserSequences.FromLists(lists, items);
        var times = new long[seq.EventCount];
        for (var u = 0; u < seq.UserCount; u++)
            for (var k = seq.Offsets[u]; k < seq.Offsets[u + 1]; k++) times[k] = 1_577_836_800L + u * 86_400L + (k - seq.Offsets[u]) * 3_600L;
        return new UserSequences(items, seq.Offsets, seq.Items, times, seq.Kinds);
    }

    private static List<int[]> Fakes(AttackedData a) =>
        Enumerable.Range(a.FirstFake, a.FakeUsers).Select(u => a.Data.ItemsOf(u).ToArray()).ToList();

    [Theory]
    [InlineData(AttackKind.Random, 0)]
    [InlineData(AttackKind.Average, 0)]
    [InlineData(AttackKind.Bandwagon, 5)]
    [InlineData(AttackKind.Segment, 5)]
    public void EveryAttack_AppendsSizeTimesGenuineUsers_EachHoldingTargetsSelectedAndFiller(AttackKind kind, int selected)
    {
        var clean = Data();
        var a = ShillingAttacks.Inject(clean, new AttackOptions { Kind = kind, Size = 0.1, Filler = 0.05, Targets = 3, Seed = 7 });
        Assert.Equal(101, a.FirstFake);
        Assert.Equal(100, a.GenuineUsers);
        Assert.Equal(10, a.FakeUsers);                 // 0.1 × the 100 users with events
        Assert.Equal(10, a.FillerPerProfile);          // 0.05 × 200 items
        Assert.Equal(selected, a.Selected.Length);
        Assert.Equal(clean.Offsets, a.Data.Offsets[..102]);
        Assert.Equal(clean.Items, a.Data.Items[..clean.EventCount]);
        foreach (var profile in Fakes(a))
        {
            Assert.Equal(3 + selected + 10, profile.Length);
            Assert.Equal(profile.Length, profile.Distinct().Count());
            Assert.Superset(a.Targets.Concat(a.Selected).ToHashSet(), profile.ToHashSet());
        }
        // Targets: items with users, at most the 25 % quantile of user counts: sorted counts are 10 ×10, 12 ×10, 13 ×10, …, so the cut is 13 (items 70..99).
        Assert.All(a.Targets, t => Assert.InRange(t, 70, 99));
        Assert.Equal(3, a.Targets.Distinct().Count());
    }

    [Fact]
    public void Bandwagon_SelectsTheMostPopularItems_Segment_TheTargetsBuyersFavourites()
    {
        var bandwagon = ShillingAttacks.Inject(Data(), new AttackOptions { Kind = AttackKind.Bandwagon, Size = 0.05, Targets = 2, Selected = 4, TargetPopularityQuantile = 0.05, Seed = 3 });
        Assert.Equal([0, 1, 2, 3], bandwagon.Selected);     // items 0..9 are held by all 100 users; ties go to the lower index
        Assert.All(bandwagon.Targets, t => Assert.InRange(t, 90, 99));   // the 5 % quantile: 10 users
        // Target t (90..99) is held by users ≡ 0 mod 10, who all hold items 0..19 (and 40..49 when ≡ 0 mod 5): the favourites are 0, 1, 2, 3.
        var segment = ShillingAttacks.Inject(Data(), new AttackOptions { Kind = AttackKind.Segment, Size = 0.05, Targets = 2, Selected = 4, TargetPopularityQuantile = 0.05, Seed = 3 });
        Assert.Equal([0, 1, 2, 3], segment.Selected);
        var segment30 = ShillingAttacks.Inject(Data(), new AttackOptions { Kind = AttackKind.Segment, Size = 0.05, Targets = 2, Selected = 30, TargetPopularityQuantile = 0.05, Seed = 3 });
        // The targets' 10 buyers hold items 0..19 and 40..49 (every 10th user is also every 5th and 2nd) — 30 items, targets excluded.
        Assert.Equal(Enumerable.Range(0, 20).Concat(Enumerable.Range(40, 10)).Where(i => !segment30.Targets.Contains(i)).Take(30).Order(), segment30.Selected.Order());
    }

    [Fact]
    public void Random_FillsFromTheWholeCatalog_Average_OnlyFromItemsWithUsers()
    {
        var random = ShillingAttacks.Inject(Data(), new AttackOptions { Kind = AttackKind.Random, Size = 0.2, Filler = 0.2, Targets = 1, Seed = 11 });
        var average = ShillingAttacks.Inject(Data(), new AttackOptions { Kind = AttackKind.Average, Size = 0.2, Filler = 0.2, Targets = 1, Seed = 11 });
        var randomFiller = Fakes(random).SelectMany(p => p).Where(i => !random.Targets.Contains(i)).ToArray();
        var averageFiller = Fakes(average).SelectMany(p => p).Where(i => !average.Targets.Contains(i)).ToArray();
        Assert.Equal(20 * 40, randomFiller.Length);
        Assert.Contains(randomFiller, i => i >= 100);        // items nobody holds: P(none of 800 draws) ≈ 2^-800
        Assert.DoesNotContain(averageFiller, i => i >= 100); // popularity-weighted: an item without users has weight 0
        // Item 0 (100 users) is drawn about 10 × as often as items 90..99 (10 users each) under average.
        Assert.True(averageFiller.Count(i => i < 10) > 3 * averageFiller.Count(i => i >= 90), "popularity-weighted filler");
    }

    [Fact]
    public void Clock_FakesLiveInTheWindowBeforeTheEnd_Camouflage_CopiesGenuineLengthsAndTimes()
    {
        var clean = Data(clock: true);
        var end = clean.Timestamps.Max();
        var a = ShillingAttacks.Inject(clean, new AttackOptions { Size = 0.1, Filler = 0.05, Targets = 3, Window = TimeSpan.FromDays(2), Seed = 5 });
        Assert.True(a.RealClock);
        for (var u = a.FirstFake; u < a.Data.UserCount; u++)
        {
            var ts = a.Data.TimestampsOf(u).ToArray();
            Assert.All(ts, t => Assert.InRange(t, end - 2 * 86_400, end));
            Assert.Equal(ts.Order(), ts);
        }
        var genuineLengths = Enumerable.Range(0, 100).Select(clean.LengthOf).ToHashSet();
        var c = ShillingAttacks.Inject(clean, new AttackOptions { Size = 0.1, Targets = 3, Camouflage = true, Seed = 5 });
        var firsts = Enumerable.Range(0, 100).Select(u => clean.TimestampsOf(u)[0]).ToHashSet();
        for (var u = c.FirstFake; u < c.Data.UserCount; u++)
        {
            Assert.Contains(c.Data.LengthOf(u), genuineLengths);
            Assert.Contains(c.Data.TimestampsOf(u)[0], firsts);
        }
    }

    [Fact]
    public void SameSeed_SameAttack_OtherSeed_OtherTargets_BadSizes_Refused()
    {
        var o = new AttackOptions { Kind = AttackKind.Random, Size = 0.1, Filler = 0.05, Targets = 3, Seed = 1 };
        var x = ShillingAttacks.Inject(Data(), o);
        var y = ShillingAttacks.Inject(Data(), o);
        Assert.Equal(x.Data.Items, y.Data.Items);
        Assert.Equal(x.Data.Timestamps, y.Data.Timestamps);
        var z = ShillingAttacks.Inject(Data(), o with { Seed = 2 });
        Assert.NotEqual(x.Data.Items, z.Data.Items);
        Assert.Throws<ArgumentException>(() => ShillingAttacks.Inject(Data(), o with { Size = 0 }));
        Assert.Throws<ArgumentException>(() => ShillingAttacks.Inject(Data(), o with { Size = 0.001 }));   // rounds to no fake
        Assert.Throws<ArgumentException>(() => ShillingAttacks.Inject(Data(), o with { Filler = 1 }));
        Assert.Throws<ArgumentException>(() => AttackOptions.ParseKind("sybil"));
    }

    [Fact]
    public void TargetHitRate_PerTargetShareOfEligibleCases_AveragedOverTargets()
    {
        var cases = new[]
        {
            new Core.Splits.EvalCase(0, [1], [9]),
            new Core.Splits.EvalCase(1, [5], [9]),     // holds target 5: not eligible for it
            new Core.Splits.EvalCase(2, [2], [9]),
            new Core.Splits.EvalCase(3, [3], [9]),
        };
        int[][] tops = [[5, 7], [7, 6], [6, 5], [8, 8]];
        // Target 5: eligible cases 0, 2, 3; in the top 2 of 0 and 2 → 2/3. Target 7: eligible all 4, hits 0, 1 → 1/2.
        Assert.Equal((2.0 / 3 + 0.5) / 2, AttackExperiment.TargetHitRate(cases, tops, [5, 7], 2), 12);
        // At k = 1 only the first slot counts: target 5 in case 0 → 1/3; target 7 in case 1 → 1/4.
        Assert.Equal((1.0 / 3 + 0.25) / 2, AttackExperiment.TargetHitRate(cases, tops, [5, 7], 1), 12);
    }

    /// <param name="quarantine">false: a detector that quarantines nobody, so every defended fit is made (on the attacked data).</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Several_attacks_fit_the_clean_data_once_and_report_what_separate_runs_report(bool quarantine)
    {
        // MinLift 5: this small shop's rare targets cannot reach the default lift; the detector then finds exactly the fakes.
        var detector = new Merx.Core.Trust.DetectorOptions { MinLift = 5, MinOddShare = quarantine ? 0.5 : 2 };
        var clean = Shop();
        var catalog = new Item?[clean.ItemCount];
        var fits = 0;
        (string, Func<Merx.Core.Contracts.IRecommender>)[] models = [("itemknn", () => { fits++; return new Merx.Models.Classic.ItemKnn(); })];
        var fit = new Merx.Core.Contracts.FitOptions { Seed = 3 };
        AttackOptions Attack(AttackKind kind) => new() { Kind = kind, Size = 0.05, Filler = 0.2, Targets = 5, Seed = 7 };
        AttackKind[] kinds = [AttackKind.Random, AttackKind.Bandwagon, AttackKind.Segment];

        var completed = new List<(AttackReport Report, int FitsSoFar)>();
        var together = AttackExperiment.Run("t", clean, catalog, kinds.Select(Attack).ToArray(), detector, models, fit, completed: r => completed.Add((r, fits)));
        var fitsTogether = fits;
        Assert.Equal(kinds.Length, together.Count);
        // One clean fit for all, one attacked fit each, and a defended fit only where the suspects are not exactly the fakes.
        Assert.Equal(1 + kinds.Length + (quarantine ? 0 : kinds.Length), fitsTogether);
        // Each report is handed over as soon as its attack is done, before the next attack's fits.
        Assert.Equal(together, completed.Select(c => c.Report));
        var perAttack = quarantine ? 1 : 2;
        Assert.Equal(Enumerable.Range(1, kinds.Length).Select(k => 1 + k * perAttack), completed.Select(c => c.FitsSoFar));

        for (var k = 0; k < kinds.Length; k++)
        {
            fits = 0;
            var alone = AttackExperiment.Run("t", clean, catalog, Attack(kinds[k]), detector, models, fit);
            Assert.Equal(alone.DefendedIsClean ? 2 : 3, fits);
            var (a, b) = (alone.Models[0], together[k].Models[0]);
            Assert.Equal(alone.Attack, together[k].Attack);
            Assert.Equal(alone.DefendedIsClean, together[k].DefendedIsClean);
            Assert.Equal((alone.DetectionPrecision, alone.DetectionRecall), (together[k].DetectionPrecision, together[k].DetectionRecall));
            Assert.Equal(a.TargetHr, b.TargetHr);
            Assert.Equal(a.Ndcg, b.Ndcg);
        }
        Assert.All(together, r => Assert.Equal(quarantine, r.DefendedIsClean));
        Assert.All(together, r => Assert.True(r.Models[0].TargetHr.Attacked > r.Models[0].TargetHr.Clean)); // the push shows, so equal figures mean something
    }
}
