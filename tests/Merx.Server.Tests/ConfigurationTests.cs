using System.Text.Json;
using Merx.Service;
using Microsoft.Extensions.Configuration;

namespace Merx.Server.Tests;

/// <summary>Issue 22: settings from appsettings.json, MERX__ variables and the command line, validated, printed masked, all documented.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public void Flags_override_variables_which_override_appsettings_json()
    {
        var dir = Directory.CreateTempSubdirectory("merx-config-").FullName;
        const string variable = "MERX__HISTORYCACHEREFRESHMS";
        try
        {
            File.WriteAllText(Path.Combine(dir, "appsettings.json"), """{"Merx": {"MaxN": 50, "Policy": "thompson", "HistoryCacheRefreshMs": 7, "ModelPollInterval": "00:00:02"}}""");
            Environment.SetEnvironmentVariable(variable, "2500");
            var options = MerxConfiguration.Bind(MerxConfiguration.Load(dir, new Dictionary<string, string?> { ["Merx:MaxN"] = "70" }));
            Assert.Equal(70, options.MaxN);                                  // the command line
            Assert.Equal(2500, options.HistoryCacheRefreshMs);               // the variable over the file
            Assert.Equal("thompson", options.Policy);                        // the file
            Assert.Equal(TimeSpan.FromSeconds(2), options.ModelPollInterval);
            Assert.Equal(new MerxServerOptions().IvfProbes, options.IvfProbes); // the default
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Invalid_and_unknown_settings_stop_the_start_naming_each()
    {
        var options = new MerxServerOptions { MaxN = 0, Policy = "no-such-policy", ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = Path.Combine(Path.GetTempPath(), "never-created.db") };
        var problems = options.Problems();
        Assert.Equal(2, problems.Count);
        Assert.Equal("MaxN: must be at least 1", problems[0]);
        Assert.StartsWith("Policy: ", problems[1]);
        var e = Assert.Throws<ArgumentException>(() => MerxApp.Build(options));
        Assert.Contains("MaxN: must be at least 1", e.Message);
        Assert.False(File.Exists(options.Db));

        var unknown = Assert.Throws<ArgumentException>(() => MerxConfiguration.Bind(MerxConfiguration.Load(Path.GetTempPath(), new Dictionary<string, string?> { ["Merx:MaxNN"] = "5" })));
        Assert.Contains("MaxNN", unknown.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => MerxConfiguration.Bind(MerxConfiguration.Load(Path.GetTempPath(), new Dictionary<string, string?> { ["Merx:MaxN"] = "many" })));
        Assert.Contains("MaxN", wrongType.Message);
        foreach (var share in new[] { 0.0, 1.5, double.NaN })
            Assert.Equal(["PropensitySample: must be in (0, 1]"], new MerxServerOptions { PropensitySample = share, ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = options.Db }.Problems());
        Assert.Equal(["IndexHeadItems: must be 0 or more"], new MerxServerOptions { IndexHeadItems = -1, ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = options.Db }.Problems());
        Assert.Equal(["IndexSearchWidth: must be at least 1"], new MerxServerOptions { IndexSearchWidth = 0, ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = options.Db }.Problems());
        Assert.Empty(new MerxServerOptions { IndexHeadItems = 0, ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = options.Db }.Problems());
    }

    [Fact]
    public async Task The_host_reads_appsettings_once_and_watches_no_folder()
    {
        // A file watcher on the working folder wakes on every write of a store kept there (its WAL), costing CPU per request.
        var options = new MerxServerOptions { ApiKey = "k", PseudonymKey = MerxTestApp.PseudonymKeyText, Db = Path.Combine(Path.GetTempPath(), "never-opened.db") };
        List<Microsoft.Extensions.Configuration.FileConfigurationSource> files = [];
        await using var app = MerxApp.Build(options, [], b => files = ((IConfigurationBuilder)b.Configuration).Sources.OfType<Microsoft.Extensions.Configuration.FileConfigurationSource>().ToList());
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.False(f.ReloadOnChange, $"{f.Path} is watched for changes"));
    }

    [Fact]
    public void Print_config_shows_every_setting_and_masks_the_secrets()
    {
        var options = new MerxServerOptions { ApiKey = "api-secret-123", PseudonymKey = "v1:pseudonym-secret-456", MaxN = 77 };
        var text = MerxConfiguration.Print(options);
        Assert.DoesNotContain("api-secret-123", text);
        Assert.DoesNotContain("pseudonym-secret-456", text);
        var section = JsonDocument.Parse(text).RootElement.GetProperty("Merx");
        Assert.Equal(MerxConfiguration.Settings().Select(p => p.Name), section.EnumerateObject().Select(p => p.Name));
        Assert.Equal("***", section.GetProperty("ApiKey").GetString());
        Assert.Equal("***", section.GetProperty("PseudonymKey").GetString());
        Assert.Equal(JsonValueKind.Null, section.GetProperty("PseudonymOldKeys").ValueKind);
        Assert.Equal(77, section.GetProperty("MaxN").GetInt32());
        Assert.Equal("00:00:05", section.GetProperty("ModelPollInterval").GetString());
    }

    [Fact]
    public void The_README_settings_table_documents_every_setting()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Merx.slnx"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var readme = File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
        var missing = MerxConfiguration.Settings().Select(p => p.Name).Where(name => !readme.Contains($"| `Merx:{name}` |", StringComparison.Ordinal)).ToArray();
        Assert.Equal([], missing);
    }
}
