using System.Diagnostics;

namespace Merx.Core.Diagnostics;

/// <summary>
/// The one name under which Merx reports traces and metrics: the <see cref="ActivitySource"/> every
/// layer starts its spans from (a span per pipeline stage in Merx.Ranking, per store call in
/// Merx.Storage, per request by ASP.NET Core), and the name of the <c>System.Diagnostics.Metrics</c>
/// meter the service layer records on. A host subscribes by this name (OpenTelemetry's
/// <c>AddSource</c>/<c>AddMeter</c>); without a listener <c>StartActivity</c> returns null and costs a
/// field read.
/// </summary>
public static class MerxDiagnostics
{
    public const string Name = "Merx";

    public static readonly ActivitySource Source = new(Name, typeof(MerxDiagnostics).Assembly.GetName().Version?.ToString(3));
}
