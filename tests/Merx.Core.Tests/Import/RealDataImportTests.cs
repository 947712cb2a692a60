using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Import;
using Merx.Tests.Shared;

namespace Merx.Core.Tests.Import;

/// <summary>The published counts of the real data sets (issue 2).</summary>
public class RealDataImportTests
{
    private static DatasetStats Stats(string relative, out ImportReport report)
    {
        report = new ImportReport();
        var data = DatasetLoader.Load(DataSources.Open(RealData.PathOf(relative)!), report);
        return DatasetStats.Compute(data, report.SkippedLines);
    }

    [RealDataFact("amazon-beauty")]
    public void AmazonBeauty_Has22363Users_12101Items_198502Interactions()
    {
        var s = Stats("amazon-beauty", out var report);
        Assert.Equal((22_363L, 12_101L, 198_502L, 0L), (s.Users, s.Items, s.Events, report.SkippedLines));
    }

    [RealDataFact("taobao-userbehavior-sample")]
    public void Taobao_Has814Users_84287Events()
    {
        var s = Stats("taobao-userbehavior-sample", out _);
        Assert.Equal((814L, 84_287L), (s.Users, s.Events));
        Assert.Equal(84_287L, s.EventsByKind[(int)EventKind.View] + s.EventsByKind[(int)EventKind.AddToCart] + s.EventsByKind[(int)EventKind.Favorite] + s.EventsByKind[(int)EventKind.Purchase]);
    }

    [RealDataFact("ml-1m")]
    public void MovieLens1M_Has6040Users_3706Items_1000209Ratings()
    {
        var s = Stats("ml-1m", out _);
        Assert.Equal((6_040L, 3_706L, 1_000_209L), (s.Users, s.Items, s.Events));
    }
}
