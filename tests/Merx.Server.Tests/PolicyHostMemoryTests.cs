using Merx.Ranking.Bandits;
using Merx.Ranking.Pipeline;
using Merx.Service;
using Merx.Service.Serving;
using Merx.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Merx.Server.Tests;

/// <summary>The served lists' decisions a policy host keeps for their feedback: bounded, the oldest forgotten first.</summary>
public sealed class PolicyHostMemoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merx-policy-memory-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Past_the_bound_the_oldest_tenth_is_forgotten_and_the_newest_kept()
    {
        using var store = SqliteStore.Open(Path.Combine(_dir, "p.db"));
        var host = new PolicyHost(store, Options.Create(new MerxServerOptions { Db = "unused" }), NullLogger<PolicyHost>.Instance);
        var catalog = new CatalogIndex(["a", "b"], [null, null]);
        var trace = new ExplorationTrace(new BanditRequest { UserKey = "u" }, [], 2);
        host.Remember("r-none", null, catalog);
        Assert.Equal(0, host.RememberedDecisions);
        for (var i = 0; i < PolicyHost.MaxRemembered; i++) host.Remember($"r{i}", trace, catalog);
        host.Remember("r0", trace, catalog); // an id seen before is not counted twice
        Assert.Equal(PolicyHost.MaxRemembered, host.RememberedDecisions);
        Assert.True(host.RemembersDecision("r0"));

        host.Remember("newest", trace, catalog);
        Assert.Equal(PolicyHost.MaxRemembered + 1 - PolicyHost.MaxRemembered / 10, host.RememberedDecisions);
        Assert.False(host.RemembersDecision("r0"));
        Assert.False(host.RemembersDecision($"r{PolicyHost.MaxRemembered / 10 - 1}"));
        Assert.True(host.RemembersDecision($"r{PolicyHost.MaxRemembered / 10}"));
        Assert.True(host.RemembersDecision("newest"));
    }
}
