using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Merx.Service;

/// <summary>
/// Where <see cref="MerxServerOptions"/> come from, the ASP.NET Core way: defaults, then
/// <c>appsettings.json</c> and <c>appsettings.{DOTNET_ENVIRONMENT}.json</c> in the folder given (the
/// working folder for <c>merx serve</c>), then environment variables (<c>MERX__MAXN=100</c>: the
/// <c>Merx</c> section, <c>__</c> for <c>:</c>), then command-line values (flags mapped to keys by the
/// caller). The same configuration carries ASP.NET Core's own sections (<c>Logging</c>, e.g.
/// <c>Logging:Console:FormatterName=json</c>) and the standard <c>OTEL_*</c> variables.
/// </summary>
public static class MerxConfiguration
{
    public static IConfigurationRoot Load(string folder, IDictionary<string, string?>? commandLine = null)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Path.GetFullPath(folder))
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(commandLine ?? new Dictionary<string, string?>())
            .Build();
    }

    /// <summary>Binds the <c>Merx</c> section onto <paramref name="options"/> (new defaults when null); an unknown key or a value of the wrong type is an error naming it.</summary>
    public static MerxServerOptions Bind(IConfiguration configuration, MerxServerOptions? options = null)
    {
        options ??= new MerxServerOptions();
        try { configuration.GetSection(MerxServerOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true); }
        catch (InvalidOperationException e) { throw new ArgumentException($"configuration section {MerxServerOptions.Section}: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}", e); }
        return options;
    }

    /// <summary>The settings as JSON (section <c>Merx</c>), secrets replaced by "***" when set.</summary>
    public static string Print(MerxServerOptions options)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject(MerxServerOptions.Section);
            foreach (var p in Settings())
            {
                switch (p.GetValue(options))
                {
                    case null: w.WriteNull(p.Name); break;
                    case var _ when MerxServerOptions.Secrets.Contains(p.Name): w.WriteString(p.Name, "***"); break;
                    case string text: w.WriteString(p.Name, text); break;
                    case bool b: w.WriteBoolean(p.Name, b); break;
                    case TimeSpan t: w.WriteString(p.Name, t.ToString("c", CultureInfo.InvariantCulture)); break;
                    case IConvertible n: w.WriteNumber(p.Name, n.ToDouble(CultureInfo.InvariantCulture)); break;
                    case var other: w.WriteString(p.Name, Convert.ToString(other, CultureInfo.InvariantCulture)); break;
                }
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Every bindable setting of <see cref="MerxServerOptions"/> (public, read-write), in declaration order.</summary>
    public static IReadOnlyList<PropertyInfo> Settings() =>
        typeof(MerxServerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.CanWrite).OrderBy(p => p.MetadataToken).ToArray();
}
