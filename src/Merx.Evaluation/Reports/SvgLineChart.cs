using System.Globalization;
using System.Net;
using System.Text;

namespace Merx.Evaluation.Reports;

/// <summary>One line: a label and its (x, y) points in order of x; an optional band (lo, hi per point) is shaded.</summary>
public sealed record Series(string Label, double[] X, double[] Y, double[]? Lo = null, double[]? Hi = null);

/// <summary>
/// Line charts as standalone SVG (no scripts), beside <see cref="SvgBarChart"/>: linear axes from 0
/// (or the data's minimum when negative) to the largest value, four labelled ticks per axis, a legend
/// on the right, and a shaded band per series when Lo/Hi are given (e.g. mean ± sd over seeds).
/// Non-finite points are skipped.
/// </summary>
public static class SvgLineChart
{
    private const int Left = 64, PlotWidth = 420, PlotHeight = 240, Top = 30, LegendWidth = 170, Bottom = 40;

    public static string Render(string title, IReadOnlyList<Series> series, string xLabel, string yLabel)
    {
        var inv = CultureInfo.InvariantCulture;
        var xs = series.SelectMany(s => s.X).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        var ys = series.SelectMany(s => s.Y.Concat(s.Lo ?? []).Concat(s.Hi ?? [])).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double x0 = Math.Min(0, xs.Min()), x1 = xs.Max(), y0 = Math.Min(0, ys.Min()), y1 = ys.Max();
        if (!(x1 > x0)) x1 = x0 + 1;
        if (!(y1 > y0)) y1 = y0 + 1;
        double X(double v) => Left + PlotWidth * (v - x0) / (x1 - x0);
        double Y(double v) => Top + PlotHeight * (1 - (v - y0) / (y1 - y0));
        var width = Left + PlotWidth + LegendWidth; var height = Top + PlotHeight + Bottom;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">");
        sb.Append(inv, $"<title>{Esc(title)}</title><text x=\"4\" y=\"16\" font-weight=\"bold\">{Esc(title)}</text>");
        for (var t = 0; t <= 4; t++)
        {
            var yv = y0 + (y1 - y0) * t / 4; var xv = x0 + (x1 - x0) * t / 4;
            sb.Append(inv, $"<line x1=\"{Left}\" y1=\"{Y(yv):F1}\" x2=\"{Left + PlotWidth}\" y2=\"{Y(yv):F1}\" stroke=\"#e4e4e4\"/>");
            sb.Append(inv, $"<text x=\"{Left - 4}\" y=\"{Y(yv) + 4:F1}\" text-anchor=\"end\">{Tick(yv)}</text>");
            sb.Append(inv, $"<text x=\"{X(xv):F1}\" y=\"{Top + PlotHeight + 16}\" text-anchor=\"middle\">{Tick(xv)}</text>");
        }
        sb.Append(inv, $"<path d=\"M{Left} {Top}V{Top + PlotHeight}H{Left + PlotWidth}\" stroke=\"#888\" fill=\"none\"/>");
        sb.Append(inv, $"<text x=\"{Left + PlotWidth / 2}\" y=\"{height - 6}\" text-anchor=\"middle\">{Esc(xLabel)}</text>");
        sb.Append(inv, $"<text x=\"12\" y=\"{Top + PlotHeight / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {Top + PlotHeight / 2})\">{Esc(yLabel)}</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i]; var color = Palette[i % Palette.Length];
            if (s.Lo is { } lo && s.Hi is { } hi)
            {
                var band = new StringBuilder();
                for (var p = 0; p < s.X.Length; p++) if (Ok(s.X[p], hi[p])) band.Append(inv, $"{(band.Length == 0 ? "M" : "L")}{X(s.X[p]):F1} {Y(hi[p]):F1}");
                for (var p = s.X.Length - 1; p >= 0; p--) if (Ok(s.X[p], lo[p])) band.Append(inv, $"L{X(s.X[p]):F1} {Y(lo[p]):F1}");
                if (band.Length > 0) sb.Append(inv, $"<path d=\"{band}Z\" fill=\"{color}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
            }
            var line = new StringBuilder();
            for (var p = 0; p < s.X.Length; p++) if (Ok(s.X[p], s.Y[p])) line.Append(inv, $"{(line.Length == 0 ? "M" : "L")}{X(s.X[p]):F1} {Y(s.Y[p]):F1}");
            if (line.Length > 0) sb.Append(inv, $"<path d=\"{line}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"/>");
            var ly = Top + 8 + i * 18;
            sb.Append(inv, $"<line x1=\"{Left + PlotWidth + 12}\" y1=\"{ly}\" x2=\"{Left + PlotWidth + 32}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>");
            sb.Append(inv, $"<text x=\"{Left + PlotWidth + 36}\" y=\"{ly + 4}\">{Esc(s.Label)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static bool Ok(double x, double y) => double.IsFinite(x) && double.IsFinite(y);

    private static string Tick(double v)
    {
        var a = Math.Abs(v);
        var inv = CultureInfo.InvariantCulture;
        return a >= 10_000 ? (v / 1000).ToString("0.#", inv) + "k" : a >= 100 ? v.ToString("0", inv) : a >= 1 ? v.ToString("0.#", inv) : v.ToString("0.###", inv);
    }

    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
