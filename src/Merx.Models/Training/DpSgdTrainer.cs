using System.Diagnostics;
using Merx.Core.Contracts;
using Merx.Models.Privacy;

namespace Merx.Models.Training;

/// <summary>
/// User-level DP-SGD over a model's <see cref="IPerUserGradients"/> surface: each step Poisson-samples
/// users (<see cref="DpSgdRun.Sampler"/>), adds their clipped gradients into one sum, adds N(0, σ²C²) and
/// divides by q·N (<see cref="DpSgdRun.Aggregator"/>), lets the model apply the noisy mean, and charges
/// the accountant. The planned run (σ, q, C, steps) comes from <see cref="DpSgdRun.Plan"/>.
/// </summary>
internal sealed class DpSgdTrainer(IPerUserGradients model, DpSgdRun run)
{
    private readonly float[] _sum = new float[model.ParameterCount];    // (P) clipped sum of the step
    private readonly float[] _noisy = new float[model.ParameterCount];  // (P) noisy mean gradient

    /// <summary>One step; returns (Σ loss, users who contributed). Allocates nothing.</summary>
    public (double Loss, int Users) Step()
    {
        var sampled = run.Sampler.Sample();
        Array.Clear(_sum);
        double loss = 0; int users = 0, clipped = 0, dropped = 0;
        foreach (var u in sampled)
        {
            if (model.AddClippedGradient(u, run.ClipNorm, _sum) is not (var l, var scale)) continue;
            loss += l; users++;
            if (scale == 0) dropped++; else if (scale < 1) clipped++;
        }
        var agg = run.Aggregator;
        agg.Begin();
        agg.AddPreclipped(_sum, users, clipped, dropped);
        agg.Finish(_noisy);
        model.ApplyUpdate(_noisy);
        run.Charge();
        return (loss, users);
    }

    /// <summary>
    /// Steps until the plan (or the time budget, measured on <paramref name="clock"/>) ends, reporting
    /// ε and the mean user loss once an epoch as "<paramref name="label"/>: step …".
    /// </summary>
    public void Run(FitOptions options, string label, Stopwatch clock)
    {
        var stepsPerEpoch = Math.Max(1, (long)Math.Round(1 / run.Rate));
        double lossSum = 0; long lossUsers = 0;
        while (run.CanStep)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            if (options.TimeBudget is { } cut && clock.Elapsed > cut) { options.Progress?.Report($"{label}: time budget reached after {run.Steps:N0} of {run.PlannedSteps:N0} steps"); break; }
            (var loss, var count) = Step();
            lossSum += loss; lossUsers += count;
            if (run.Steps % stepsPerEpoch == 0 || !run.CanStep)
            {
                options.Progress?.Report($"{label}: step {run.Steps:N0}/{run.PlannedSteps:N0} (epoch {run.Steps * run.Rate:F1}) ε spent {run.EpsilonSpent:F3} of {run.Options.TargetEpsilon:G4} (δ={run.Delta:G3}); mean user loss {lossSum / Math.Max(1, lossUsers):F4} (diagnostic, not private); {clock.Elapsed.TotalSeconds:F0} s");
                lossSum = 0; lossUsers = 0;
            }
        }
    }
}
