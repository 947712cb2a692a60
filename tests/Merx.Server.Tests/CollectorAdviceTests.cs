using Merx.Service.Serving;

namespace Merx.Server.Tests;

public class CollectorAdviceTests
{
    [Fact]
    public void LargeCatalogsOnTheWorkstationCollector_AreToldToUseTheServerOne()
    {
        Assert.Null(ModelHost.CollectorAdvice(ModelHost.ServerCollectorItems - 1, serverCollector: false));
        Assert.Null(ModelHost.CollectorAdvice(10_000_000, serverCollector: true));
        var advice = ModelHost.CollectorAdvice(10_000_000, serverCollector: false);
        Assert.NotNull(advice);
        Assert.Contains("10,000,000 catalog items", advice);
        Assert.Contains("DOTNET_gcServer=1", advice);
    }
}
