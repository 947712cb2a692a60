using Merx.Core.Contracts;
using Merx.Models.Sequential;

namespace Merx.Models.Tests.Sequential;

/// <summary>The Transformer passes the shared recommender contract (issue 17), small enough to fit in a second.</summary>
public sealed class SasRecContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new SasRec(new SasRecOptions
    {
        Dim = 16, Blocks = 1, MaxLength = 8, Dropout = 0.1f, LearningRate = 5e-3f, BatchSize = 32,
        MaxEpochs = 40, EvalEvery = 5, Patience = 100,
    });
}
