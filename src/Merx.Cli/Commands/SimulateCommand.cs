using System.CommandLine;
using Merx.Core.Import;
using Merx.Evaluation.OffPolicy;
using Merx.Evaluation.Simulation;
using Merx.Ranking.Bandits;
using Merx.Service.Evaluation;
using Merx.Storage;

namespace Merx.Cli.Commands;

/// <summary>`merx simulate`: explore/exploit policies in a simulator built from a real data set, with an optional replay estimate.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var data = Cli.Data();
        var format = Cli.Format();
        var policies = new Option<string>("--policies") { Description = $"comma-separated policies ({string.Join(", ", BanditPolicies.Names)}; 'name:value' sets ε, α, v or the dynamic policy's exploration budget B; 'name@B' caps any policy's exploration at budget B)", DefaultValueFactory = _ => "greedy,egreedy,ucb,thompson,linucb,lints,dynamic" };
        var rounds = new Option<int>("--rounds") { Description = "requests per run", DefaultValueFactory = _ => 20_000 };
        var slate = new Option<int>("--slate") { Description = "items per slate (K)", DefaultValueFactory = _ => 10 };
        var seeds = new Option<int>("--seeds") { Description = "independent runs (mean ± sd reported)", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "first seed; runs use seed, seed+1, …", DefaultValueFactory = _ => 1 };
        var users = new Option<int>("--users") { Description = "visiting users (0: max(500, rounds/10))", DefaultValueFactory = _ => 0 };
        var candidates = new Option<int>("--candidates") { Description = "exploit candidates per request (item-kNN top N)", DefaultValueFactory = _ => 200 };
        var dynamicArms = new Option<string?>("--dynamic-arms") { Description = "the policies the dynamic meta-policy chooses among, comma-separated (default greedy,egreedy,ucb,thompson,lints)" };
        var dynamicShared = new Option<string?>("--dynamic-shared") { Description = "arms of the dynamic meta-policy that learn from every slate's feedback, not only their own, comma-separated (default lints; \"none\" for none)" };
        var replay = new Option<int>("--replay") { Description = "also generate a uniform-random log of this many events and report each policy's replay CTR (Li et al. 2011)", DefaultValueFactory = _ => 0 };
        var replayArms = new Option<int>("--replay-arms") { Description = "candidates per logged event (the logging policy picks one uniformly)", DefaultValueFactory = _ => 20 };
        var replayLog = new Option<string?>("--replay-log") { Description = "write the generated replay log (TSV) to this file" };
        var threads = new Option<int>("--threads") { Description = "parallel runs (0: all cores)", DefaultValueFactory = _ => 0 };
        var vectors = new Option<string>("--vectors") { Description = "user/item vectors of linucb, lints and dynamic: sasrec (the default: the Transformer, trained per seed on the shop's observed data with the server's recipe; keep them with --encoder-cache) or cooccurrence (a fast stand-in)", DefaultValueFactory = _ => "sasrec" };
        var encoderCache = new Option<string?>("--encoder-cache") { Description = "folder where trained Transformers are kept (per data set, seed and settings) and reused by later runs" };
        var encoderEpochs = new Option<int?>("--encoder-epochs") { Description = "most training epochs of the Transformer" };
        var encoderMinutes = new Option<double?>("--encoder-minutes") { Description = "most minutes of training of the Transformer per seed" };
        var json = Cli.Json();
        var html = new Option<string?>("--report") { Description = "also write an HTML report with SVG curves to this file" };
        var map = Cli.Map();
        var logDb = new Option<string?>("--log-db") { Description = "write every served list (with its propensities, user group and clicks) through the serving log into this store (SQLite file, created if missing, or postgres://…), for 'merx ope'; needs one policy and one seed" };
        var opeTruth = new Option<string?>("--ope-truth") { Description = "with --log-db: also write, to this JSON file, the simulator's true clicks per list of each --ope-targets policy on the logged lists" };
        var opeTargets = new Option<string>("--ope-targets") { Description = "the target policies whose truth --ope-truth writes (ranked family)", DefaultValueFactory = _ => "ranked,ranked:0.05,ranked:0.1,ranked:0.2,ranked:0.5" };
        var draws = new Option<int>("--propensity-draws") { Description = "with --log-db: for the policies without closed-form propensities (thompson, lints, dynamic), redraw each served list until every pick reappears at its slot, at most this many draws, and log 1/N (N = draws to the hit, an unbiased estimate of 1/propensity); 0 logs none", DefaultValueFactory = _ => 0 };
        var cache = new Option<string?>("--truth-cache") { Description = "reuse the ground-truth rankings from this file between runs (written on the first run)" };
        var command = new Command("simulate", "Compare explore/exploit policies in a simulator built from a real data set: EASE on all data is the ground truth of clicks; reports cumulative reward, regret against the oracle slate, catalog coverage and new-interest discovery (mean ± sd over seeds), and optionally a replay estimate.")
        {
            data, format, policies, rounds, slate, seeds, seed, users, candidates, dynamicArms, dynamicShared, replay, replayArms, replayLog, threads, vectors, encoderCache, encoderEpochs, encoderMinutes, json, html, map, cache, logDb, opeTruth, opeTargets, draws,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var names = parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException("--policies names no policy");
            var dyn = parse.GetValue(dynamicArms) is { } a ? new DynamicOptions { Arms = a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } : null;
            if (parse.GetValue(dynamicShared) is { } sh)
                dyn = (dyn ?? new DynamicOptions()) with { SharedArms = sh.Trim() == "none" ? [] : sh.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            dyn?.Validate();
            foreach (var n in names) BanditPolicies.Create(n, null, 1, dyn);
            var options = new SimulationOptions
            {
                Rounds = parse.GetValue(rounds), Slate = parse.GetValue(slate), Seeds = parse.GetValue(seeds), FirstSeed = parse.GetValue(seed),
                Users = parse.GetValue(users), Candidates = parse.GetValue(candidates),
                Vectors = parse.GetValue(vectors)!.Trim().ToLowerInvariant(), EncoderCache = parse.GetValue(encoderCache),
                EncoderEpochs = parse.GetValue(encoderEpochs), EncoderMinutes = parse.GetValue(encoderMinutes),
            };
            options.Validate();
            if (parse.GetValue(logDb) is not null && (names.Length != 1 || options.Seeds != 1)) throw new ArgumentException("--log-db logs one policy's run: give one policy and --seeds 1");
            if (parse.GetValue(draws) is < 0 or > 1_000_000) throw new ArgumentException("--propensity-draws must be in 0 … 1,000,000");
            if (parse.GetValue(draws) != 0 && parse.GetValue(logDb) is null) throw new ArgumentException("--propensity-draws needs --log-db (the propensities are logged)");
            if (parse.GetValue(opeTruth) is not null && parse.GetValue(logDb) is null) throw new ArgumentException("--ope-truth needs --log-db (the truth is of the logged lists)");
            _ = parse.GetValue(opeTargets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(OffPolicyTarget.Parse).ToArray();
            var events = parse.GetValue(replay); var arms = parse.GetValue(replayArms);
            if (events < 0 || arms < 2) throw new ArgumentException("--replay must be ≥ 0 and --replay-arms ≥ 2");
            if (parse.GetValue(replayLog) is not null && events == 0) throw new ArgumentException("--replay-log needs --replay N (the number of events to log)");
            var path = parse.GetValue(data)!;
            var report = new ImportReport(Cli.ImportOptions(false, parse.GetValue(map)));
            Cli.Progress.Report($"simulate: reading {path}");
            var dataset = DatasetLoader.Load(DataSources.Open(path, parse.GetValue(format), Cli.ImportOptions(false, parse.GetValue(map))), report);
            if (report.SkippedLines > 0) Console.Error.WriteLine(report);
            var name = EvaluateCommand.DatasetName(path);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var world = SimulationWorld.Build(name, dataset, options, Cli.Progress, parse.GetValue(cache));
            var summaries = parse.GetValue(logDb) is { } logPath
                ? LoggedRun(world, names, options, dyn, logPath, parse.GetValue(opeTruth), parse.GetValue(opeTargets)!, parse.GetValue(draws))
                : SimulationRunner.Run(world, names, Cli.Progress, dyn, parse.GetValue(threads));
            List<ReplayResult>? replays = null;
            if (events > 0)
            {
                var shop = new SimulatedShop(world, options.FirstSeed, Cli.Progress);
                Cli.Progress.Report($"simulate: replay: logging {events:N0} uniform-random events over {arms} candidates each");
                var log = ReplayEstimator.GenerateLog(shop, events, arms, options.FirstSeed + 1000);
                if (parse.GetValue(replayLog) is { } lp) { ReplayEstimator.WriteLog(lp, log); Cli.Progress.Report($"simulate: wrote the log to {lp}"); }
                replays = [];
                foreach (var s in summaries.Select(x => x.Name))
                {
                    var r = ReplayEstimator.Evaluate(s, BanditPolicies.Create(s, shop.Encoder, options.FirstSeed, dyn), log, (e, item) => world.Truth(e.User, item));
                    Cli.Progress.Report($"simulate: replay {s,-14} CTR {r.Estimate:P2} over {r.Matches:N0} matched events (true CTR of its choices {r.TrueCtr:P2})");
                    replays.Add(r);
                }
            }
            var result = new SimulationReport(name, world.UserCount, world.ItemCount, world.CategoryCount, options, summaries, replays);
            Cli.Progress.Report($"simulate: done in {clock.Elapsed.TotalMinutes:F1} min");
            Console.WriteLine(result.ToTable());
            if (parse.GetValue(json) is { } j) { result.WriteJson(j); Console.WriteLine($"wrote {j}"); }
            if (parse.GetValue(html) is { } h) { result.WriteHtml(h); Console.WriteLine($"wrote {h}"); }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// One policy on the first seed, every served list and click written through the store's serving
    /// log (batches of 1,000) as the server writes them, and the truth of the OPE targets on those lists.
    /// </summary>
    private static IReadOnlyList<PolicySummary> LoggedRun(SimulationWorld world, string[] names, SimulationOptions o, DynamicOptions? dyn, string db, string? truthPath, string targets, int draws)
    {
        var spec = names[0];
        var shop = new SimulatedShop(world, o.FirstSeed, Cli.Progress);
        var policy = BanditPolicies.Create(spec, shop.Encoder, o.FirstSeed, dyn);
        if (policy is BanditPolicy b) b.PropensityDraws = draws;
        var truth = new OffPolicyTruth(targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(OffPolicyTarget.Parse), spec);
        using var store = MerxStores.Open(db);
        var start = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600); // 2026-01-01, one list per second
        var served = new List<ServedRecommendation>(1000); var clicks = new List<FeedbackRecord>();
        void Flush() { store.RecordServed(served); store.RecordFeedback(clicks); served.Clear(); clicks.Clear(); }
        Cli.Progress.Report($"simulate: seed {o.FirstSeed}: {spec} serving {o.Rounds:N0} lists into {db}");
        var run = Simulator.Run(shop, policy, spec, list =>
        {
            truth.Add(list);
            var (s, c) = OffPolicyLog.FromSimulation(list, start, spec);
            served.Add(s); clicks.AddRange(c);
            if (served.Count == 1000) Flush();
        });
        Flush();
        Cli.Progress.Report($"simulate: logged {truth.Lists:N0} lists, {run.Reward:F0} clicks ({truth.LoggedReward:F4} per list)");
        if (policy is BanditPolicy { PropensityStats.Lists: > 0 } redrawn) Cli.Progress.Report($"simulate: propensity redraws (cap {draws:N0}): {redrawn.PropensityStats}");
        foreach (var (name, v) in truth.Values) Cli.Progress.Report($"simulate: truth {name,-12} {v:F4} clicks per list");
        if (truthPath is not null) { truth.WriteJson(truthPath); Console.WriteLine($"wrote {truthPath}"); }
        return [PolicySummary.From(spec, [run], o.Slate, o.Rounds)];
    }
}
