using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Models.Privacy;

namespace Merx.Models.Training;

/// <summary>
/// User-level DP-SGD over a model's <see cref="IPerUserGradients"/> surface: each step Poisson-samples
/// users (<see cref="DpSgdRun.Sampler"/>), lets the model add their clipped gradients into one sum, adds
/// N(0, σ²C²) and divides by q·N (<see cref="DpSgdRun.Aggregator"/>), lets the model apply the noisy mean,
/// and charges the accountant. The planned run (σ, q, C, steps) comes from <see cref="DpSgdRun.Plan"/>.
/// The one DP-SGD loop of Merx: BPR-MF and the Transformer (per-user and fused paths) both run on it.
/// </summary>
internal sealed class DpSgdTrainer(IPerUserGradients model, DpSgdRun run)
{
    private readonly float[] _sum = new float[model.ParameterCount];    // (P) clipped sum of the step
    private readonly float[] _noisy = new float[model.ParameterCount];  // (P) noisy mean gradient

    /// <summary>One step; returns (Σ loss, users who contributed). Allocates nothing.</summary>
    public (double Loss, int Users) Step()
    {
        var sampled = run.Sampler.Sample();
        model.BeginStep();
        Array.Clear(_sum);
        var batch = model.AddClippedGradients(sampled, run.ClipNorm, _sum);
        var agg = run.Aggregator;
        agg.Begin();
        agg.AddPreclipped(_sum, batch.Users, batch.Clipped, batch.Dropped);
        agg.Finish(_noisy);
        model.ApplyUpdate(_noisy);
        run.Charge();
        return (batch.Loss, batch.Users);
    }

    /// <summary>
    /// Steps until the plan (or the time budget, measured on <paramref name="clock"/>) ends, reporting
    /// ε, the mean user loss, the clipped share and the time once an epoch as "<paramref name="label"/>: step …".
    /// Returns the seconds each reported epoch took (the last one may be partial).
    /// </summary>
    public List<double> Run(FitOptions options, string label, Stopwatch clock)
    {
        var stepsPerEpoch = Math.Max(1, (long)Math.Round(1 / run.Rate));
        double lossSum = 0; long lossUsers = 0;
        var epochClock = Stopwatch.StartNew();
        var epochSeconds = new List<double>();
        while (run.CanStep)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            // The time budget also ends the run early (the plan came from a speed probe; a shared machine can slow down). ε spent is then below the target.
            if (options.TimeBudget is { } cut && clock.Elapsed > cut) { options.Progress?.Report($"{label}: time budget reached after {run.Steps:N0} of {run.PlannedSteps:N0} steps"); break; }
            (var loss, var count) = Step();
            lossSum += loss; lossUsers += count;
            if (run.Steps % stepsPerEpoch == 0 || !run.CanStep)
            {
                epochSeconds.Add(epochClock.Elapsed.TotalSeconds);
                epochClock.Restart();
                var eta = (run.PlannedSteps - run.Steps) * clock.Elapsed.TotalSeconds / run.Steps;
                options.Progress?.Report($"{label}: step {run.Steps:N0}/{run.PlannedSteps:N0} (epoch {run.Steps * run.Rate:F1}) ε spent {run.EpsilonSpent:F3} of {run.Options.TargetEpsilon:G4} (δ={run.Delta:G3}); mean user loss {lossSum / Math.Max(1, lossUsers):F4} (diagnostic, not private); clipped {run.Aggregator.ClippedInStep}/{run.Aggregator.UsersInStep} in the last step; elapsed {clock.Elapsed.TotalSeconds:F0} s, ETA {eta:F0} s");
                lossSum = 0; lossUsers = 0;
            }
        }
        if (run.Steps < run.PlannedSteps && run.Steps >= run.AllowedSteps) options.Progress?.Report($"{label}: stopped at step {run.Steps:N0}: one more would pass ε = {run.Options.TargetEpsilon:G4}");
        return epochSeconds;
    }
}
