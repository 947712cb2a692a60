using Merx.Core.Trust;

namespace Merx.Core.Tests.Trust;

/// <summary>The online push-attack signal (issue 20) on arrivals whose answer is computed by hand.</summary>
public sealed class SurgeWindowTests
{
    private static void See(SurgeWindow w, long t, string account, params string[] items)
    {
        foreach (var i in items) w.Observe(t, account.GetHashCode(), account, i);
    }

    private static SurgeWindow Window(Action<SurgeWindow>? prime = null, SurgeOptions? options = null)
    {
        var w = new SurgeWindow(options ?? new SurgeOptions { MinNewAccounts = 4, MinNewShare = 0.6, MinLift = 3, WindowSeconds = 3600, BurstSeconds = 300 });
        prime?.Invoke(w);
        return w;
    }

    [Fact]
    public void New_accounts_on_the_same_items_are_flagged_with_hand_computed_share_lift_and_burst()
    {
        var old = Enumerable.Range(0, 20).Select(i => "old" + i).ToArray();
        var w = Window(x => x.MarkEstablished(old.Select(a => (long)a.GetHashCode())));
        // 20 established accounts browse "pop" and one of "a".."d"; 2 newcomers browse "pop" too; 5 fresh accounts push
        // "t1" and "t2" within 4 minutes, and one of them also views "pop". Observed in time order.
        var arrivals = new List<(long T, string Account, string Item)>();
        for (var i = 0; i < 20; i++) { arrivals.Add((1000 + 60 * i, old[i], "pop")); arrivals.Add((1000 + 60 * i, old[i], "abcd"[i % 4].ToString())); }
        arrivals.Add((1100, "newcomer0", "pop")); arrivals.Add((2300, "newcomer1", "pop"));
        for (var f = 0; f < 5; f++) { arrivals.Add((2000 + 60 * f, "fake" + f, "t1")); arrivals.Add((2000 + 60 * f, "fake" + f, "t2")); }
        arrivals.Add((2100, "fake0", "pop"));
        foreach (var (t, account, item) in arrivals.OrderBy(a => a.T)) See(w, t, account, item);

        var r = w.Report(2600, watch: 5);
        Assert.Equal(27, r.Accounts);        // 20 + 2 + 5
        Assert.Equal(7, r.NewAccounts);
        Assert.Equal(53, r.Events);          // 40 + 2 + 10 + 1
        Assert.Equal(["t1", "t2"], r.Items.Where(i => i.Flagged).Select(i => i.Item));
        var t1 = r.Items[0];
        Assert.Equal((5, 5, 1.0), (t1.Accounts, t1.NewAccounts, t1.NewShare));
        // (5 + 1) / (5 + 2) over (7 − 5 + 1) / (27 − 5 + 2) = (6/7) / (3/24) = 6.857…
        Assert.Equal(6.0 / 7 / (3.0 / 24), t1.Lift, 12);
        Assert.Equal(1.0, t1.Burst);         // all five within 240 s
        Assert.Equal(["fake0", "fake1", "fake2", "fake3", "fake4"], t1.NewAccountIds);
        Assert.Equal(["t2"], t1.CoPushed);   // the same 5 new accounts pushed both
        Assert.Equal(["t1"], r.Items[1].CoPushed);
        // "pop": 23 accounts, 3 new (2 newcomers, fake0): share 3/23, watched not flagged; its new accounts came at 1,100, 2,100 and 2,300 s: burst 2/3.
        var pop = r.Items.Single(i => i.Item == "pop");
        Assert.False(pop.Flagged);
        Assert.Equal((23, 3), (pop.Accounts, pop.NewAccounts));
        Assert.Equal(2.0 / 3, pop.Burst, 12);
        Assert.Equal(4.0 / 25 / (5.0 / 6), pop.Lift, 12);   // (3+1)/(23+2) over (7−3+1)/(27−23+2)
        Assert.Equal(["fake0", "fake1", "fake2", "fake3", "fake4"], r.SuspectAccounts.Select(a => a.Account));
        Assert.All(r.SuspectAccounts, a => Assert.Equal(2, a.FlaggedItems));
        Assert.Equal(3, r.SuspectAccounts[0].Events);
        Assert.Equal(2000, r.SuspectAccounts[0].FirstSeen);
    }

    [Fact]
    public void Every_threshold_is_a_boundary()
    {
        SurgeReport Run(SurgeOptions o)
        {
            var w = new SurgeWindow(o);
            w.MarkEstablished(Enumerable.Range(0, 10).Select(i => (long)("old" + i).GetHashCode()));
            for (var i = 0; i < 10; i++) See(w, 10, "old" + i, "x");
            for (var f = 0; f < 4; f++) See(w, 20, "new" + f, "t", "u");
            See(w, 20, "old0", "t");
            return w.Report(30);
        }
        // "t": 5 accounts, 4 new: share 0.8; lift (5/7) / ((0+1)/(14−5+2)) = 55/7 = 7.857…; "u": 4 of 4 new, lift
        // (5/6) / (1/12) = 10. Each needs the other (co-push), so when "t" fails a test neither is flagged.
        var basis = new SurgeOptions { MinNewAccounts = 4, MinNewShare = 0.8, MinLift = 55.0 / 7 - 1e-9 };
        Assert.Equal(2, Run(basis).FlaggedItems);
        Assert.Equal(0, Run(basis with { MinNewAccounts = 5 }).FlaggedItems);
        Assert.Equal(0, Run(basis with { MinNewShare = 0.81 }).FlaggedItems);
        Assert.Equal(0, Run(basis with { MinLift = 55.0 / 7 + 1e-9 }).FlaggedItems);
    }

    [Fact]
    public void Co_push_share_is_a_boundary()
    {
        // "a": new accounts f0..f7, "b": f4..f11 — 4 shared of 8 each: share 0.5 of the smaller.
        SurgeReport Run(double share)
        {
            var w = new SurgeWindow(new SurgeOptions { MinNewAccounts = 4, MinNewShare = 0, MinLift = 0, MinCoPushShare = share });
            for (var f = 0; f < 12; f++) See(w, 10, "f" + f, f < 8 ? ["a", .. f >= 4 ? new[] { "b" } : []] : ["b"]);
            return w.Report(20);
        }
        var at = Run(0.5);
        Assert.Equal(["a", "b"], at.Items.Where(i => i.Flagged).Select(i => i.Item).Order());
        Assert.Equal(["f4", "f5", "f6", "f7"], at.SuspectAccounts.Select(a => a.Account).Order());   // only the shared accounts
        Assert.All(at.SuspectAccounts, a => Assert.Equal(2, a.FlaggedItems));
        Assert.Equal(0, Run(0.51).FlaggedItems);
        Assert.Empty(Run(0.51).SuspectAccounts);
    }

    [Fact]
    public void A_one_item_push_is_flagged_alone_with_enough_new_accounts_in_a_burst_and_every_bound_is_a_boundary()
    {
        // 10 established accounts view "x"; new accounts view only "t": `burst` of them at t = 20, the others 400 s apart
        // from t = 400 (no 300-s span holds two of those). "t" passes the per-item tests (share 1, lift far above 3).
        SurgeReport Run(int burst, int spread, SurgeOptions? o = null)
        {
            var w = new SurgeWindow(o ?? new SurgeOptions { MinNewAccounts = 4 });   // alone: ≥ 3 × 4 = 12 new accounts, burst ≥ 0.5
            w.MarkEstablished(Enumerable.Range(0, 10).Select(i => (long)("old" + i).GetHashCode()));
            for (var i = 0; i < 10; i++) See(w, 10, "old" + i, "x");
            for (var f = 0; f < burst; f++) See(w, 20, "new" + f, "t");
            for (var f = 0; f < spread; f++) See(w, 400 * (f + 1), "late" + f, "t");
            return w.Report(3000, watch: 5);
        }
        var flagged = Run(12, 0);
        var t = flagged.Items.Single(i => i.Item == "t");
        Assert.True(t.Flagged && t.Alone);
        Assert.Empty(t.CoPushed);
        Assert.Equal(Enumerable.Range(0, 12).Select(f => "new" + f).Order(), flagged.SuspectAccounts.Select(a => a.Account).Order());
        Assert.All(flagged.SuspectAccounts, a => Assert.Equal(1, a.FlaggedItems));
        Assert.Equal(0, Run(11, 0).FlaggedItems);                       // one new account short of 3 × 4
        Assert.Empty(Run(11, 0).SuspectAccounts);
        Assert.Equal(1, Run(6, 6).FlaggedItems);                        // burst 6 / 12 = 0.5: at the bound
        Assert.Equal(0, Run(5, 7).FlaggedItems);                        // burst 5 / 12 < 0.5
        Assert.Equal(0, Run(12, 0, new SurgeOptions { MinNewAccounts = 4, SoloFactor = 0 }).FlaggedItems);   // off
        Assert.Equal(1, Run(8, 0, new SurgeOptions { MinNewAccounts = 4, SoloFactor = 2 }).FlaggedItems);
        Assert.Equal(0, Run(7, 0, new SurgeOptions { MinNewAccounts = 4, SoloFactor = 2 }).FlaggedItems);
    }

    /// <summary>
    /// The case the per-item tests alone got wrong (bench/results/trust.md, CONCENTRATED=1): a crowd of genuine
    /// newcomers landing only on a few niche items that established customers rarely visit. Each item on its own looks
    /// pushed; the newcomers spread over the items, so no two items share many of them. Then a coordinated group arrives.
    /// </summary>
    [Fact]
    public void Genuine_newcomers_on_niche_items_flag_nothing_a_coordinated_group_flags_exactly_its_targets_and_accounts()
    {
        var rng = new Random(20);
        var established = Enumerable.Range(0, 400).Select(i => "c" + i).ToArray();
        var w = new SurgeWindow(new SurgeOptions());   // the defaults the server runs with
        w.MarkEstablished(established.Select(a => (long)a.GetHashCode()));
        long t = 1000;
        // Customers browse 3 of 1,000 items each; one in 40 also views a niche item n0..n19.
        for (var c = 0; c < established.Length; c++, t++)
        {
            See(w, t, established[c], "i" + rng.Next(1000), "i" + rng.Next(1000), "i" + rng.Next(1000));
            if (c % 40 == 0) See(w, t, established[c], "n" + rng.Next(20));
        }
        // 80 newcomers within a minute, each on 3 distinct niche items.
        for (var k = 0; k < 80; k++)
        {
            var picks = new HashSet<string>();
            while (picks.Count < 3) picks.Add("n" + rng.Next(20));
            See(w, t + k % 60, "newcomer" + k, [.. picks]);
        }
        t += 60;
        var genuine = w.Report(t, watch: 20);
        var onTheirOwn = genuine.Items.Count(i => i.NewAccounts >= 10 && i.NewShare >= 0.6 && i.Lift >= 3);
        Assert.Equal(16, onTheirOwn);          // items the per-item tests alone would flag
        Assert.Equal(0, genuine.FlaggedItems);
        Assert.Empty(genuine.SuspectAccounts);
        Assert.All(genuine.Items, i => Assert.Empty(i.CoPushed));

        // 30 fresh accounts push t1, t2, t3 (and view two ordinary items each).
        for (var f = 0; f < 30; f++) See(w, t + f, "fake" + f, "t1", "t2", "t3", "i" + rng.Next(1000), "i" + rng.Next(1000));
        var attacked = w.Report(t + 60, watch: 20);
        Assert.Equal(["t1", "t2", "t3"], attacked.Items.Where(i => i.Flagged).Select(i => i.Item).Order());
        Assert.Equal(Enumerable.Range(0, 30).Select(f => "fake" + f).Order(), attacked.SuspectAccounts.Select(a => a.Account).Order());
        Assert.All(attacked.SuspectAccounts, a => Assert.Equal(3, a.FlaggedItems));
        Assert.Equal(["t2", "t3"], attacked.Items.Single(i => i.Item == "t1").CoPushed);
        Assert.All(attacked.Items, i => Assert.False(i.Alone));

        // 30 more fresh accounts push one item, "s", within a minute (and view two ordinary items each): flagged alone,
        // with exactly those 30 accounts added to the suspects; the niche items stay unflagged.
        for (var f = 0; f < 30; f++) See(w, t + 60 + f, "solo" + f, "s", "i" + rng.Next(1000), "i" + rng.Next(1000));
        var solo = w.Report(t + 120, watch: 20);
        Assert.Equal(["s", "t1", "t2", "t3"], solo.Items.Where(i => i.Flagged).Select(i => i.Item).Order());
        Assert.True(solo.Items.Single(i => i.Item == "s").Alone);
        Assert.Equal(Enumerable.Range(0, 30).Select(f => "fake" + f).Concat(Enumerable.Range(0, 30).Select(f => "solo" + f)).Order(),
            solo.SuspectAccounts.Select(a => a.Account).Order());
        Assert.DoesNotContain(solo.Items, i => i.Flagged && i.Item.StartsWith('n'));
    }

    [Fact]
    public void Arrivals_leave_the_window_and_accounts_grow_old()
    {
        var w = Window(options: new SurgeOptions { MinNewAccounts = 3, MinLift = 0, WindowSeconds = 100, NewAccountSeconds = 1000 });
        for (var f = 0; f < 3; f++) See(w, 10, "f" + f, "t", "u");
        Assert.Equal(2, w.Report(50).FlaggedItems);
        var later = w.Report(110);                   // 110 − 100 ≥ 10: every arrival expired
        Assert.Equal((0, 0, 0), (later.Events, later.Accounts, later.FlaggedItems));
        for (var f = 0; f < 3; f++) See(w, 500, "f" + f, "t", "u");   // still new (first seen at 10, 490 s < 1,000 s)
        Assert.Equal(2, w.Report(500).FlaggedItems);
        for (var f = 0; f < 3; f++) See(w, 1010, "f" + f, "t");  // 1,000 s after first seen: established now
        Assert.Equal(0, w.Report(1010).NewAccounts);
    }

    [Fact]
    public void Memory_is_bounded_and_forgotten_accounts_leave_no_trace()
    {
        var w = new SurgeWindow(new SurgeOptions { MaxEvents = 4, MaxAccounts = 3, MinNewAccounts = 1, MinLift = 0, MinNewShare = 0 });
        for (var a = 0; a < 5; a++) See(w, 1, "a" + a, "x");
        var r = w.Report(1);
        Assert.Equal((4, 1L), (r.Events, r.EventsDropped));     // the first arrival went when the fifth came
        Assert.Equal(3, w.RememberedAccounts);
        Assert.Equal(2, r.NewAccounts);                          // a1, a2 new; a3, a4 beyond MaxAccounts count as established
        w.ForgetAccounts(k => k == "a1".GetHashCode());
        var after = w.Report(1, watch: 5);
        Assert.Equal(3, after.Events);
        Assert.DoesNotContain(after.SuspectAccounts, a => a.Account == "a1");
        Assert.Equal(["a2"], after.Items.Single().NewAccountIds);
        Assert.Equal(2, w.RememberedAccounts);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { WindowSeconds = 0 }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { MinNewShare = 1.5 }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { MinCoPushShare = -0.1 }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { MinLift = double.NaN }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { MaxEvents = 0 }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { SoloFactor = 0.5 }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { SoloFactor = double.PositiveInfinity }));
        Assert.Throws<ArgumentException>(() => new SurgeWindow(new SurgeOptions { MinSoloBurst = 1.1 }));
    }
}
