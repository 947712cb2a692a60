using System.Xml.Linq;
using Merx.Evaluation.Reports;

namespace Merx.Evaluation.Tests.Simulation;

public sealed class SvgLineChartTests
{
    [Fact]
    public void Render_GivesWellFormedSvg_WithOneLinePerSeries_AndEscapedLabels()
    {
        double[] x = [1, 2, 3];
        var svg = SvgLineChart.Render("reward <mean>", [new Series("a&b", x, [1, 2, 4], [0.5, 1.5, 3], [1.5, 2.5, 5]), new Series("c", x, [0, double.NaN, 1])], "round", "clicks");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var paths = doc.Descendants(ns + "path").Select(p => (string)p.Attribute("d")!).ToList();
        Assert.Contains(paths, d => d.StartsWith('M') && d.EndsWith('Z'));            // the sd band
        Assert.Equal(2, doc.Descendants(ns + "path").Count(p => (string?)p.Attribute("stroke-width") == "1.8"));
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "a&b");
        Assert.Contains("reward <mean>", doc.Descendants(ns + "title").Single().Value);
        Assert.DoesNotContain("NaN", svg);
    }
}
