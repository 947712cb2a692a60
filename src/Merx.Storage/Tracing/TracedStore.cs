using System.Diagnostics;
using System.Reflection;
using Merx.Core.Diagnostics;

namespace Merx.Storage.Tracing;

/// <summary>
/// Wraps any <see cref="IMerxStore"/> so that every call through any of its roles is a span
/// (<c>store.{Method}</c>, tagged with the backend type; a failed call records its exception type).
/// A <see cref="DispatchProxy"/>, so it covers every member of every backend without being edited when
/// a role grows. Costs one reflective invoke per store call (tens of nanoseconds beside a SQLite
/// statement) and, with no listener on <see cref="MerxDiagnostics.Source"/>, nothing more.
/// </summary>
public class TracedStore : DispatchProxy
{
    private IMerxStore _inner = null!;
    private string _backend = "";

    /// <summary>
    /// The traced view of <paramref name="inner"/>; disposing it disposes the store. A store that announces
    /// other processes' changes (<see cref="IStoreChangeSignals"/>, PostgreSQL) and shares serving state
    /// (<see cref="ISharedServingState"/>) stays one through the proxy, so the caches that listen for them and
    /// the policies and limits that share state still find them.
    /// </summary>
    public static IMerxStore Wrap(IMerxStore inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var proxy = inner is IStoreChangeSignals and ISharedServingState ? Create<ISignallingStore, TracedStore>() : Create<IMerxStore, TracedStore>();
        var traced = (TracedStore)(object)proxy;
        traced._inner = inner;
        traced._backend = inner.GetType().Name;
        return proxy;
    }

    /// <summary>The proxied shape of a store that also announces changes and shares serving state.</summary>
    public interface ISignallingStore : IMerxStore, IStoreChangeSignals, ISharedServingState;

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        using var span = MerxDiagnostics.Source.StartActivity("store." + method.Name, ActivityKind.Client);
        span?.SetTag("db.system", _backend);
        try { return method.Invoke(_inner, args); }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            span?.SetStatus(ActivityStatusCode.Error, inner.GetType().Name);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }
}
