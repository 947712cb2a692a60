using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Merx.Evaluation.Reports;

namespace Merx.Evaluation.Simulation;

/// <summary>A finished simulation (every policy, mean ± sd over seeds), with an optional replay estimate per policy; writes JSON, HTML and a text table.</summary>
public sealed record SimulationReport(string Dataset, int Users, int Items, int Categories, SimulationOptions Options, IReadOnlyList<PolicySummary> Policies, IReadOnlyList<ReplayResult>? Replay = null)
{
    /// <summary>
    /// {"dataset", "rounds", "slate", "seeds", …, "policies": [{"name", "reward_mean", "reward_sd",
    /// "regret_mean", "coverage_mean", "discovery_mean", then sd's, "ctr", "explored_share",
    /// "explored_share_established", "explored_share_new", "new_user_slot_share", "arm_use" (the dynamic
    /// policy's share of requests per arm), "seconds_mean", "replay_ctr", "replay_matches", "replay_true_ctr"}]}.
    /// </summary>
    public void WriteJson(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        var o = Options;
        w.WriteStartObject();
        w.WriteString("dataset", Dataset);
        w.WriteNumber("users", Users); w.WriteNumber("items", Items); w.WriteNumber("categories", Categories);
        w.WriteNumber("rounds", o.Rounds); w.WriteNumber("slate", o.Slate); w.WriteNumber("seeds", o.Seeds); w.WriteNumber("first_seed", o.FirstSeed);
        w.WriteNumber("candidates", o.Candidates); w.WriteNumber("discovery_candidates", o.DiscoveryCandidates);
        w.WriteString("truth", "ease"); w.WriteString("exploit", "itemknn"); w.WriteString("vectors", o.Vectors);
        w.WriteStartArray("policies");
        foreach (var p in Policies)
        {
            w.WriteStartObject();
            w.WriteString("name", p.Name);
            w.WriteNumber("reward_mean", Math.Round(p.RewardMean, 2)); w.WriteNumber("reward_sd", Math.Round(p.RewardSd, 2));
            w.WriteNumber("regret_mean", Math.Round(p.RegretMean, 2)); w.WriteNumber("coverage_mean", Math.Round(p.CoverageMean, 5));
            w.WriteNumber("discovery_mean", Math.Round(p.DiscoveryMean, 2));
            w.WriteNumber("regret_sd", Math.Round(p.RegretSd, 2)); w.WriteNumber("coverage_sd", Math.Round(p.CoverageSd, 5)); w.WriteNumber("discovery_sd", Math.Round(p.DiscoverySd, 2)); w.WriteNumber("effective_coverage_mean", Math.Round(p.EffectiveCoverage, 5));
            w.WriteNumber("ctr", Math.Round(p.Ctr, 6)); w.WriteNumber("explored_share", Math.Round(p.ExploredShare, 4));
            w.WriteNumber("explored_share_established", Math.Round(p.ExploredEstablished, 4)); w.WriteNumber("explored_share_new", Math.Round(p.ExploredNew, 4)); w.WriteNumber("new_user_slot_share", Math.Round(p.NewUserSlots, 4));
            if (p.ArmUse.Count > 0)
            {
                w.WriteStartObject("arm_use");
                foreach (var (arm, share) in p.ArmUse) w.WriteNumber(arm, Math.Round(share, 4));
                w.WriteEndObject();
            }
            w.WriteNumber("seconds_mean", Math.Round(p.SecondsMean, 2));
            if (Replay?.FirstOrDefault(r => r.Policy == p.Name) is { } rp)
            {
                w.WriteNumber("replay_ctr", Math.Round(rp.Estimate, 6)); w.WriteNumber("replay_matches", rp.Matches); w.WriteNumber("replay_true_ctr", Math.Round(rp.TrueCtr, 6));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public string ToTable()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"| policy | reward (clicks) | regret | coverage | eff. coverage | discovery | CTR | explored | explored (established / new) |{(Replay is null ? "" : " replay CTR (matches) | true CTR |")}");
        sb.AppendLine($"|---|---|---|---|---|---|---|---|---|{(Replay is null ? "" : "---|---|")}");
        foreach (var p in Policies)
        {
            sb.Append(inv, $"| {p.Name} | {p.RewardMean:F0} ± {p.RewardSd:F0} | {p.RegretMean:F0} ± {p.RegretSd:F0} | {p.CoverageMean:F3} ± {p.CoverageSd:F3} | {p.EffectiveCoverage:F3} | {p.DiscoveryMean:F0} ± {p.DiscoverySd:F0} | {p.Ctr:P2} | {p.ExploredShare:P0} | {p.ExploredEstablished:P1} / {p.ExploredNew:P1} |");
            if (Replay is not null)
                sb.Append(Replay.FirstOrDefault(r => r.Policy == p.Name) is { } r ? string.Format(inv, " {0:P2} ({1:N0}) | {2:P2} |", r.Estimate, r.Matches, r.TrueCtr) : " — | — |");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public void WriteHtml(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToHtml());
    }

    public string ToHtml()
    {
        var inv = CultureInfo.InvariantCulture;
        var o = Options;
        var x = Enumerable.Range(1, Policies[0].RewardCurve.Length).Select(p => (double)p * o.Rounds / Policies[0].RewardCurve.Length).ToArray();
        var sb = new StringBuilder();
        var title = WebUtility.HtmlEncode($"Merx explore/exploit simulation: {Dataset}");
        sb.Append(inv, $"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head><body><h1>{title}</h1>");
        sb.Append(inv, $"<p>{Users:N0} users, {Items:N0} items, {Categories:N0} categories; {o.Rounds:N0} rounds, slate {o.Slate}, {o.Seeds} seeds (from {o.FirstSeed}), mean ± sd. Ground truth: EASE on all data; candidates: item-kNN top {o.Candidates} + {o.DiscoveryCandidates} from unseen categories.</p>");
        sb.Append("<table><tr><th>policy</th><th>reward</th><th>regret</th><th>coverage</th><th>eff. coverage</th><th>discovery</th><th>CTR</th><th>explored</th>");
        if (Replay is not null) sb.Append("<th>replay CTR</th><th>matches</th><th>true CTR</th>");
        sb.Append("</tr>");
        foreach (var p in Policies)
        {
            sb.Append(inv, $"<tr><td>{WebUtility.HtmlEncode(p.Name)}</td><td>{p.RewardMean:F0} ± {p.RewardSd:F0}</td><td>{p.RegretMean:F0} ± {p.RegretSd:F0}</td><td>{p.CoverageMean:F3} ± {p.CoverageSd:F3}</td><td>{p.EffectiveCoverage:F3}</td><td>{p.DiscoveryMean:F0} ± {p.DiscoverySd:F0}</td><td>{p.Ctr:P2}</td><td>{p.ExploredShare:P0}</td>");
            if (Replay is not null)
                sb.Append(Replay.FirstOrDefault(r => r.Policy == p.Name) is { } r ? string.Format(inv, "<td>{0:P2}</td><td>{1:N0}</td><td>{2:P2}</td>", r.Estimate, r.Matches, r.TrueCtr) : "<td>—</td><td>—</td><td>—</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table><div>");
        sb.Append(SvgLineChart.Render("cumulative reward (clicks), mean ± sd", Policies.Select(p => new Series(p.Name, x, p.RewardCurve,
            p.RewardCurve.Zip(p.RewardCurveSd, (m, s) => m - s).ToArray(), p.RewardCurve.Zip(p.RewardCurveSd, (m, s) => m + s).ToArray())).ToList(), "round", "clicks"));
        sb.Append("</div><div>");
        sb.Append(SvgLineChart.Render("cumulative regret vs the oracle slate (expected clicks)", Policies.Select(p => new Series(p.Name, x, p.RegretCurve)).ToList(), "round", "regret"));
        sb.Append("</div><div>");
        sb.Append(SvgBarChart.Render("catalog coverage", Policies.Select(p => new Bar(p.Name, p.CoverageMean, p.CoverageMean - p.CoverageSd, p.CoverageMean + p.CoverageSd)).ToList(), "F3"));
        sb.Append(SvgBarChart.Render("effective coverage (exp entropy of impressions / items)", Policies.Select(p => new Bar(p.Name, p.EffectiveCoverage)).ToList(), "F3"));
        sb.Append(SvgBarChart.Render("new-interest discovery (clicks in new categories)", Policies.Select(p => new Bar(p.Name, p.DiscoveryMean, p.DiscoveryMean - p.DiscoverySd, p.DiscoveryMean + p.DiscoverySd)).ToList(), "F0"));
        sb.Append("</div></body></html>");
        return sb.ToString();
    }
}
