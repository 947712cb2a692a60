namespace Merx.Service.Serving;

/// <summary>
/// How busy the service is, as the recommendation path needs to know it: requests in flight (a host
/// counts them around each request) and answers that took a degraded path. Lock-free counters.
/// </summary>
public sealed class ServingLoad
{
    private long _inFlight, _degraded;

    public long InFlight => Interlocked.Read(ref _inFlight);
    public long Degraded => Interlocked.Read(ref _degraded);
    public void Enter() => Interlocked.Increment(ref _inFlight);
    public void Leave() => Interlocked.Decrement(ref _inFlight);
    public void AddDegraded() => Interlocked.Increment(ref _degraded);
}
