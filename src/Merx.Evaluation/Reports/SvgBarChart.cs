using System.Globalization;
using System.Net;
using System.Text;

namespace Merx.Evaluation.Reports;

/// <summary>One bar: a label, its value and an optional 95% interval drawn as a whisker.</summary>
public readonly record struct Bar(string Label, double Value, double? Lo = null, double? Hi = null);

/// <summary>
/// Horizontal bar charts as standalone SVG (no scripts, no external assets), shared by the CLI's
/// HTML reports and the dashboard. Values ≤ 0 or non-finite draw no bar; whiskers span [Lo, Hi].
/// </summary>
public static class SvgBarChart
{
    private const int LabelWidth = 110, PlotWidth = 360, RowHeight = 22, Top = 28, Bottom = 22;

    public static string Render(string title, IReadOnlyList<Bar> bars, string format = "F4")
    {
        var inv = CultureInfo.InvariantCulture;
        var max = bars.Select(b => Math.Max(Finite(b.Value), Finite(b.Hi ?? 0))).DefaultIfEmpty(0).Max();
        if (!(max > 0)) max = 1;
        var width = LabelWidth + PlotWidth + 80;
        var height = Top + bars.Count * RowHeight + Bottom;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">");
        sb.Append(inv, $"<title>{Esc(title)}</title><text x=\"4\" y=\"16\" font-weight=\"bold\">{Esc(title)}</text>");
        double X(double v) => LabelWidth + PlotWidth * Math.Clamp(Finite(v) / max, 0, 1);
        for (var i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            var y = Top + i * RowHeight;
            sb.Append(inv, $"<text x=\"{LabelWidth - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{Esc(b.Label)}</text>");
            if (double.IsFinite(b.Value) && b.Value > 0)
                sb.Append(inv, $"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{X(b.Value) - LabelWidth:F1}\" height=\"{RowHeight - 6}\" fill=\"{Color(i)}\"/>");
            if (b.Lo is { } lo && b.Hi is { } hi && double.IsFinite(lo) && double.IsFinite(hi))
            {
                var cy = y + RowHeight / 2.0;
                sb.Append(inv, $"<path d=\"M{X(lo):F1} {cy:F1}H{X(hi):F1}M{X(lo):F1} {cy - 5:F1}V{cy + 5:F1}M{X(hi):F1} {cy - 5:F1}V{cy + 5:F1}\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>");
            }
            var text = double.IsFinite(b.Value) ? b.Value.ToString(format, inv) : "—";
            sb.Append(inv, $"<text x=\"{Math.Max(X(b.Value), X(b.Hi ?? 0)) + 4:F1}\" y=\"{y + 14}\">{text}</text>");
        }
        sb.Append(inv, $"<line x1=\"{LabelWidth}\" y1=\"{Top - 2}\" x2=\"{LabelWidth}\" y2=\"{height - Bottom + 2}\" stroke=\"#888\"/>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static double Finite(double v) => double.IsFinite(v) ? v : 0;

    private static string Color(int i) => Palette[i % Palette.Length];

    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
