using Merx.Core.Contracts;
using Merx.Service.Serving;
using Merx.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Merx.Service.Training;

/// <summary>State of background training, for GET /api/models/training.</summary>
public sealed record TrainingStatus(bool Running, IReadOnlyList<string> Models, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? LastMessage, string? Error, IReadOnlyList<long> Published);

/// <summary>
/// Trains and publishes models in the background — on request (POST /api/models/train) or on the
/// <see cref="MerxServerOptions.TrainEvery"/> schedule — one run at a time, then pokes the
/// <see cref="ModelHost"/> so the new versions are served at once.
/// </summary>
public sealed class TrainingService(IEventStore events, IModelRegistry registry, ModelHost host, IOptions<MerxServerOptions> options, ILogger<TrainingService> log, Catalog.ItemTextVectors? text = null) : BackgroundService
{
    private readonly ILogger<TrainingService> _log = log;
    private readonly Lock _gate = new();
    private TrainingStatus _status = new(false, [], null, null, null, null, []);
    private Task _run = Task.CompletedTask;

    public TrainingStatus Status { get { lock (_gate) return _status; } }

    /// <summary>Starts a run; false when one is already running.</summary>
    public bool TryStart(IReadOnlyList<string> models, double budgetMinutes)
    {
        lock (_gate)
        {
            if (_status.Running) return false;
            _status = new TrainingStatus(true, models, DateTimeOffset.UtcNow, null, "starting", null, []);
            _run = Task.Run(() => Run(models, budgetMinutes));
            return true;
        }
    }

    private void Run(IReadOnlyList<string> models, double budgetMinutes)
    {
        var progress = new Progress(this);
        try
        {
            var published = ModelTrainer.Train(events, registry, models, new FitOptions { Progress = progress, TimeBudget = TimeSpan.FromMinutes(budgetMinutes) }, progress, text: text);
            host.Poke();
            lock (_gate) _status = _status with { Running = false, FinishedAt = DateTimeOffset.UtcNow, Published = published.Select(p => p.Version.Version).ToArray(), LastMessage = "done" };
        }
        catch (Exception e)
        {
            _log.LogError(e, "background training failed");
            lock (_gate) _status = _status with { Running = false, FinishedAt = DateTimeOffset.UtcNow, Error = e.Message };
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.TrainEvery is not { } every) return;
        using var timer = new PeriodicTimer(every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            TryStart(options.Value.TrainModels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), options.Value.TrainBudgetMinutes);
    }

    private sealed class Progress(TrainingService owner) : IProgress<string>
    {
        public void Report(string value)
        {
            owner._log.LogInformation("{Message}", value);
            lock (owner._gate) owner._status = owner._status with { LastMessage = value };
        }
    }
}
