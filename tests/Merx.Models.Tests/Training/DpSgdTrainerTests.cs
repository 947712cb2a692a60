using Merx.Core.Contracts;
using Merx.Models.Privacy;
using Merx.Models.Training;

namespace Merx.Models.Tests.Training;

/// <summary>The one DP-SGD loop over a model's surface (issue 17): what it asks of the model, in which order, and what it counts.</summary>
public class DpSgdTrainerTests
{
    /// <summary>
    /// Ten users: u % 5 == 0 has no example (null), 1 a non-finite gradient (dropped, scale 0), 2 a clipped one
    /// (scale 0.5), the rest unclipped; a user's loss is u, and their clipped gradient adds scale to coordinate 0.
    /// </summary>
    private sealed class Fake : IPerUserGradients
    {
        public readonly List<string> Calls = [];
        public float[] LastUpdate = [];

        public int ParameterCount => 3;

        public void BeginStep() => Calls.Add("begin");

        public (double Loss, float Scale)? AddClippedGradient(int user, float clip, float[] sum)
        {
            Calls.Add("g" + user);
            if (user % 5 == 0) return null;
            var scale = user % 5 == 1 ? 0f : user % 5 == 2 ? 0.5f : 1f;
            sum[0] += scale;
            return (user, scale);
        }

        public void ApplyUpdate(float[] gradient) { Calls.Add("update"); LastUpdate = (float[])gradient.Clone(); }
    }

    [Fact]
    public void EachUser_AddsEveryUserInOrder_AndCountsContributorsClippedAndDropped()
    {
        var model = new Fake();
        var sum = new float[3];
        var users = Enumerable.Range(0, 10).ToArray();
        var total = IPerUserGradients.EachUser(model, users, 1f, sum);
        Assert.Equal(users.Select(u => "g" + u), model.Calls);
        // Users 1..9 except 5 contribute (8); 1 and 6 dropped; 2 and 7 clipped; loss 45 − 5 = 40.
        Assert.Equal(new ClippedSum(40, 8, 2, 2), total);
        Assert.Equal(2 * 0.5f + 4 * 1f, sum[0]);
    }

    [Fact]
    public void Step_BeginsOnce_AddsTheSample_ThenUpdatesOnce_AndChargesTheAccountant()
    {
        var model = new Fake();
        // q = 1: every user is sampled every step, in index order.
        var run = DpSgdRun.Plan(new DpTrainingOptions { TargetEpsilon = 8, SeededNoise = true, SamplingRate = 1, Accountant = DpAccountant.Rdp }, 10, 3, 1, 1f, 2, null, seed: 1);
        var trainer = new DpSgdTrainer(model, run);
        var (loss, users) = trainer.Step();
        Assert.Equal(["begin", .. Enumerable.Range(0, 10).Select(u => "g" + u), "update"], model.Calls);
        Assert.Equal((40.0, 8), (loss, users));
        Assert.Equal((8, 2, 2), (run.Aggregator.UsersInStep, run.Aggregator.ClippedInStep, run.Aggregator.DroppedInStep));
        Assert.Equal(1, run.Steps);
        // The update is the noisy mean: coordinate 0 carries the clipped sum 5, the others noise only, all divided by q·N = 10.
        Assert.Equal(3, model.LastUpdate.Length);
        Assert.NotEqual(0f, model.LastUpdate[1]);
        trainer.Step();
        Assert.Equal(2, model.Calls.Count(c => c == "begin"));
        Assert.Equal(2, run.Steps);
    }
}
