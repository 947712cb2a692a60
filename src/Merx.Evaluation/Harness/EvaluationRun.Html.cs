using System.Net;
using System.Text;
using Merx.Evaluation.Reports;

namespace Merx.Evaluation.Harness;

public sealed partial class EvaluationRun
{
    /// <summary>A self-contained HTML report: the table and one SVG bar chart per headline metric (with 95% whiskers) plus training time.</summary>
    public void WriteHtml(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToHtml());
    }

    public string ToHtml()
    {
        var sb = new StringBuilder();
        var title = WebUtility.HtmlEncode($"Merx evaluation: {Dataset} ({Protocol})");
        sb.Append($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>");
        sb.Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1em}</style></head><body>");
        sb.Append($"<h1>{title}</h1><p>{Users} users, {Items} items. Full ranking unless marked sampled; 95% bootstrap intervals over users.</p>");
        sb.Append("<table><tr><th>model</th>");
        foreach (var m in Headline) sb.Append($"<th>{m}</th>");
        sb.Append("<th>train s</th><th>epochs</th></tr>");
        foreach (var r in Models)
        {
            sb.Append($"<tr><td>{WebUtility.HtmlEncode(r.Name)}</td>");
            foreach (var m in Headline)
                sb.Append(r.Result is not null && r.Result.Metrics.TryGetValue(m, out var v) ? $"<td>{v:F4}</td>" : "<td>—</td>");
            sb.Append($"<td>{r.TrainSeconds:F1}</td><td>{r.Epochs?.ToString() ?? "—"}</td></tr>");
        }
        sb.Append("</table>");
        if (BiasLine() is { } bias) sb.Append($"<p>{WebUtility.HtmlEncode(bias)}. miscalibration@10 is the KL divergence (nats) between the category shares of the user's history and of the list (Steck 2018); 0 is calibrated.</p>");
        sb.Append("<div class=\"charts\">");
        foreach (var m in Headline)
        {
            var bars = Models.Where(r => r.Result is not null && r.Result.Metrics.ContainsKey(m)).Select(r =>
            {
                var has = r.Result!.Intervals.TryGetValue(m, out var ci);
                return new Bar(r.Name, r.Result.Metrics[m], has ? ci.Lo : null, has ? ci.Hi : null);
            }).ToList();
            if (bars.Count > 0) sb.Append("<div>").Append(SvgBarChart.Render(m, bars)).Append("</div>");
        }
        sb.Append("<div>").Append(SvgBarChart.Render("training time (s)", Models.Select(r => new Bar(r.Name, r.TrainSeconds)).ToList(), "F1")).Append("</div>");
        sb.Append("</div></body></html>");
        return sb.ToString();
    }
}
