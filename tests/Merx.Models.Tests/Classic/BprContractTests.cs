using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class BprContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Bpr(factors: 8, maxEpochs: 100, learningRate: 0.1f, patience: 20);
}
