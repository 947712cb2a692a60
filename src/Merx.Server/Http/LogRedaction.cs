using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Merx.Server.Http;

/// <summary>
/// No raw user id (and no API key) in any log line at any level: every logger provider of the host is
/// wrapped so that messages, their structured values and scope values (ASP.NET Core's request scope
/// carries the path) have the user segment of <c>/users/{id}</c> and the <c>user=</c> and <c>key=</c>
/// query values replaced before any provider sees them. User ids reach Merx's own code pseudonymized,
/// so the paths and queries of requests are where raw ones could leak.
/// </summary>
public static partial class LogRedaction
{
    [GeneratedRegex(@"(/users/)(?!\{id\})[^/?#\s""'&]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserSegment();

    [GeneratedRegex(@"([?&](?:user|key)=)[^&#\s""']+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretQuery();

    /// <summary><paramref name="text"/> with user ids in paths and user/key query values replaced.</summary>
    public static string Redact(string text) =>
        text.Contains("/users/", StringComparison.OrdinalIgnoreCase) || text.Contains("user=", StringComparison.OrdinalIgnoreCase) || text.Contains("key=", StringComparison.OrdinalIgnoreCase)
            ? SecretQuery().Replace(UserSegment().Replace(text, "$1{id}"), "$1{redacted}")
            : text;

    /// <summary>Wraps every <see cref="ILoggerProvider"/> registered so far (call after all logging is configured).</summary>
    public static IServiceCollection RedactLogs(this IServiceCollection services)
    {
        foreach (var d in services.Where(d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService).ToList())
        {
            services.Remove(d);
            services.AddSingleton<ILoggerProvider>(sp => new Provider(d.ImplementationInstance as ILoggerProvider
                ?? (ILoggerProvider)(d.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!))));
        }
        return services;
    }

    private static object? RedactValue(object? value) => value is string s ? Redact(s) : value;

    private sealed class Provider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
    {
        public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

        public void SetScopeProvider(IExternalScopeProvider scopeProvider)
        {
            if (inner is ISupportExternalScope s) s.SetScopeProvider(new Scopes(scopeProvider));
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(Redacted.Of(state));

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            var message = Redact(formatter(state, exception));
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            inner.Log(logLevel, eventId, new Redacted(values.Select(p => new KeyValuePair<string, object?>(p.Key, RedactValue(p.Value))).ToArray(), message), exception, static (s, _) => s.Message);
        }
    }

    /// <summary>A scope or log state with its values redacted; its text is the redacted text of the original.</summary>
    private sealed class Redacted(IReadOnlyList<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;
        public KeyValuePair<string, object?> this[int index] => values[index];
        public int Count => values.Count;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => Message;

        public static object Of(object? scope) => scope switch
        {
            Redacted r => r,
            string s => Redact(s),
            IEnumerable<KeyValuePair<string, object?>> pairs => new Redacted(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, RedactValue(p.Value))).ToArray(), Redact(scope.ToString() ?? "")),
            null => "",
            _ => Redact(scope.ToString() ?? ""),
        };
    }

    private sealed class Scopes(IExternalScopeProvider inner) : IExternalScopeProvider
    {
        public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
            inner.ForEachScope((scope, s) => callback(Redacted.Of(scope), s), state);

        public IDisposable Push(object? state) => inner.Push(state);
    }
}
