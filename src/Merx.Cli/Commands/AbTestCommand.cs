using System.CommandLine;
using Merx.Storage;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Merx.Evaluation.Experiments;

namespace Merx.Cli.Commands;

/// <summary>`merx abtest simulate`: Monte-Carlo power and false-positive rate of the A/B statistics under continuous monitoring.</summary>
internal static class AbTestCommand
{
    public static Command Create() => new("abtest", "A/B experiments: the report of experiments run by the server, and a simulation of the statistics (two-proportion z-test, always-valid mSPRT, sample ratio mismatch check).")
    {
        Simulate(),
        Report(),
    };

    /// <summary>`merx abtest report --db FILE [--id ID] [--json OUT]`: the experiments defined over the API, with their tallies rebuilt from the store.</summary>
    private static Command Report()
    {
        var db = Cli.Db();
        var id = new Option<string?>("--id") { Description = "one experiment (default: all)" };
        var json = Cli.Json();
        var command = new Command("report", "Per-variant users, click / add-to-cart / purchase rates, revenue per user, z-test, sequential test and verdict of the experiments in a store (define them with POST /api/experiments).")
        {
            db, id, json,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var path = parse.GetValue(db)!;
            if (!MerxStores.Exists(path!)) throw new FileNotFoundException($"no store at {path}");
            using var store = Merx.Storage.MerxStores.Open(path);
            var service = new Merx.Service.Experiments.ExperimentService(store, store);
            var wanted = parse.GetValue(id);
            var defs = service.Definitions.Where(d => wanted is null || d.Id == wanted).ToArray();
            if (wanted is not null && defs.Length == 0) throw new ArgumentException($"no experiment '{wanted}' in {path}");
            if (defs.Length == 0) Console.WriteLine("no experiments defined (POST /api/experiments on the server)");
            var reports = new List<Merx.Service.Experiments.ExperimentResponse?>();
            foreach (var d in defs)
            {
                var (definition, report) = service.Report(d.Id)!.Value;
                Console.WriteLine($"experiment {d.Id} ({(d.StoppedAt is null ? "running" : "stopped")}), metric {d.Metric}: {report.Verdict}");
                foreach (var v in report.Snapshot.Variants)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {v.Name,-16} users {v.Users,8:N0}  clicks {v.Clicks,7:N0}  user click rate {Pct(v.Users > 0 ? (double)v.ClickingUsers / v.Users : null),7}  purchase rate {Pct(v.Users > 0 ? (double)v.PurchasingUsers / v.Users : null),7}  revenue/user {v.RevenuePerUser,8:F2}"));
                reports.Add(Merx.Service.Experiments.ExperimentJson.Describe(definition, report));
            }
            if (parse.GetValue(json) is { } output)
            {
                File.WriteAllText(output, JsonSerializer.Serialize(new Merx.Service.Experiments.ExperimentList(reports), Merx.Service.WireJson.Options));
                Console.WriteLine($"wrote {output}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Simulate()
    {
        var users = new Option<int>("--users") { Description = "users per run at most (a run stops being watched at the first conclusive sequential verdict)", Required = true };
        var lift = new Option<double>("--true-lift") { Description = "true relative lift of B's per-impression click propensity, e.g. 0.10 (0 for A/A only)", Required = true };
        var runs = new Option<int>("--runs") { Description = "runs with the lift, and as many A/A runs", Required = true };
        var rate = new Option<double>("--base-rate") { Description = "mean per-impression click propensity of A", DefaultValueFactory = _ => 0.05 };
        var peek = new Option<int>("--peek-every") { Description = "users between looks of the naive z-test (for contrast)", DefaultValueFactory = _ => 500 };
        var mixing = new Option<double>("--mixing-effect") { Description = "mSPRT mixing sd τ as a fraction of A's expected user click rate", DefaultValueFactory = _ => 0.10 };
        var seed = Cli.Seed();
        var json = new Option<string>("--json") { Description = "write the figures as JSON to this file", Required = true };
        var command = new Command("simulate", "Simulate A/B runs with heterogeneous users arriving one by one, monitored continuously by the sequential test; report power, false-positive rate (A/A runs), users to verdict, and the false-positive rate of naively peeking at a z-test.")
        {
            users, lift, runs, rate, peek, mixing, seed, json,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            var o = new AbSimulationOptions
            {
                Users = parse.GetValue(users), TrueLift = parse.GetValue(lift), Runs = parse.GetValue(runs), BaseRate = parse.GetValue(rate),
                PeekEvery = parse.GetValue(peek), MixingRelativeEffect = parse.GetValue(mixing), Seed = parse.GetValue(seed),
            };
            var clock = Stopwatch.StartNew();
            var r = AbSimulation.Run(o, Cli.Progress);
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(Table(r, seconds));
            var path = parse.GetValue(json)!;
            Write(path, r, seconds);
            Console.WriteLine($"wrote {path}");
            return 0;
        }));
        return command;
    }

    private static string Pct(double? x) => x is { } v ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : "—";

    private static string Table(AbSimulationResult r, double seconds)
    {
        var o = r.Options;
        var inv = CultureInfo.InvariantCulture;
        return string.Join(Environment.NewLine,
            $"A/B simulation: {r.LiftRuns} runs with lift {o.TrueLift.ToString("G3", inv)} and {r.AaRuns} A/A runs, ≤ {o.Users.ToString("N0", inv)} users each, base rate {o.BaseRate.ToString("G3", inv)}, seed {o.Seed} ({seconds:F1} s)",
            $"user click rate A {Pct(r.ObservedUserRateA)} (expected {Pct(r.ExpectedUserRateA)}), B {Pct(r.ObservedUserRateB)}; mSPRT τ² = {r.MixingVariance.ToString("G3", inv)}, α = {o.Alpha.ToString("G3", inv)}",
            $"{"",-34} {"power",8} {"false positives",16}",
            $"{"sequential (mSPRT), every user",-34} {Pct(r.Power),8} {Pct(r.FalsePositiveRate),16}",
            $"{$"naive z-test, peek every {o.PeekEvery}",-34} {Pct(r.NaivePeekingPower),8} {Pct(r.NaivePeekingFalsePositiveRate),16}",
            $"{"fixed horizon z-test, one look",-34} {Pct(r.FixedHorizonPower),8} {Pct(r.FixedHorizonFalsePositiveRate),16}",
            $"median users to a right sequential verdict: {(r.MedianUsersToVerdict is { } m ? m.ToString("N0", inv) : "—")}; sample ratio mismatch flagged in {Pct(r.SampleRatioMismatchRate)} of runs");
    }

    private static void Write(string path, AbSimulationResult r, double seconds)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        var o = r.Options;
        w.WriteStartObject();
        Number(w, "power", r.Power);
        Number(w, "false_positive_rate", r.FalsePositiveRate);
        Number(w, "median_users_to_verdict", r.MedianUsersToVerdict);
        Number(w, "mean_users_to_verdict", r.MeanUsersToVerdict);
        Number(w, "wrong_direction_rate", r.WrongDirectionRate);
        Number(w, "naive_peeking_power", r.NaivePeekingPower);
        Number(w, "naive_peeking_false_positive_rate", r.NaivePeekingFalsePositiveRate);
        Number(w, "fixed_horizon_power", r.FixedHorizonPower);
        Number(w, "fixed_horizon_false_positive_rate", r.FixedHorizonFalsePositiveRate);
        Number(w, "sample_ratio_mismatch_rate", r.SampleRatioMismatchRate);
        Number(w, "observed_user_click_rate_a", r.ObservedUserRateA);
        Number(w, "observed_user_click_rate_b", r.ObservedUserRateB);
        Number(w, "expected_user_click_rate_a", r.ExpectedUserRateA);
        Number(w, "mixing_variance", r.MixingVariance);
        w.WriteNumber("users", o.Users);
        Number(w, "true_lift", o.TrueLift);
        w.WriteNumber("runs", r.LiftRuns);
        w.WriteNumber("aa_runs", r.AaRuns);
        Number(w, "base_rate", o.BaseRate);
        Number(w, "alpha", o.Alpha);
        Number(w, "beta_concentration", o.Concentration);
        Number(w, "mean_impressions", o.MeanImpressions);
        w.WriteNumber("peek_every", o.PeekEvery);
        Number(w, "mixing_relative_effect", o.MixingRelativeEffect);
        w.WriteNumber("min_users_per_variant", o.MinUsersPerVariant);
        w.WriteNumber("seed", o.Seed);
        Number(w, "seconds", Math.Round(seconds, 1));
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(name, Math.Round(x, 8)); else w.WriteNull(name);
    }
}
