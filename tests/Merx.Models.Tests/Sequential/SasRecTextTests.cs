using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;
using Merx.Models.Sequential;
using Merx.Tests.Shared;

namespace Merx.Models.Tests.Sequential;

/// <summary>Issue #19: item text vectors as the Transformer's side information.</summary>
public class SasRecTextTests
{
    private const int Items = 30;
    private const int E = 6;

    /// <summary>
    /// Users walk i → i+1 over items 0..28 (0..<paramref name="walk"/> − 1); the items above are never consumed. No brand or
    /// category: text is the only side information. With <paramref name="repeats"/>, every fourth user's second-last item (the
    /// validation target) repeats its fourth. <paramref name="arrivals"/>: the data's new arrivals (null: not known).
    /// </summary>
    private static TrainingData Data(PretrainedVectors? text, bool repeats = false, IReadOnlySet<int>? arrivals = null, int walk = 29)
    {
        var lists = Enumerable.Range(0, 60).Select(u => (IReadOnlyList<int>)Enumerable.Range(0, 10).Select(k => (u + (repeats && u % 4 == 0 && k == 8 ? 3 : k)) % walk).ToList()).ToList();
        var split = Splitter.LeaveOneOut(UserSequences.FromLists(lists, Items));
        var catalog = Enumerable.Range(0, Items).Select(i => (Item?)new Item { Id = "i" + i }).ToArray();
        return new TrainingData(split.Train, catalog, split.Validation) { Text = text, NewArrivals = arrivals };
    }

    /// <summary>Item i's text: unit vector mostly along axis i % 3 (its "topic"), with a seeded item-specific part.</summary>
    private static PretrainedVectors TopicText(bool[]? present = null)
    {
        var rng = new Random(11);
        var rows = new float[]?[Items];
        for (var i = 0; i < Items; i++)
        {
            if (present is not null && !present[i]) continue;
            var v = new float[E];
            v[i % 3] = 1;
            for (var k = 3; k < E; k++) v[k] = (float)(rng.NextDouble() - 0.5) * 0.5f;
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            rows[i] = v.Select(x => x / norm).ToArray();
        }
        return PretrainedVectors.FromRows("test-topics", E, rows);
    }

    [Fact]
    public void LazyStep_WithText_FirstStepIsTheDenseStep()
    {
        // Text is the only side information here: the rows' gradients reach the text projection through their gathered vectors.
        var data = Data(TopicText());
        var model = new SasRec(Small(1).Options with { SampledNegatives = 6 });
        model.Fit(data, new FitOptions { Seed = 4 });
        SasRecTests.AssertLazyStepIsDenseThenLazy(model, data);
    }

    private static SasRec Small(int epochs, float dropout = 0.1f, bool? mask = null) =>
        new(new SasRecOptions { Dim = 16, Blocks = 1, MaxLength = 8, Dropout = dropout, LearningRate = 5e-3f, BatchSize = 32, MaxEpochs = epochs, EvalEvery = 5, Patience = 100, ClipNorm = 1e9f, MaskUntrainedItems = mask });

    [Fact]
    public void With_text_the_untrained_item_is_left_out_of_the_training_softmax()
    {
        var data = Data(TopicText());
        var masked = Small(2, dropout: 0);
        masked.Fit(data, new FitOptions { Seed = 3 });
        var p = (float[])masked.Parameters.Clone();
        var g = new float[p.Length];
        var lossMasked = masked.LossAndGradient(data, 16, p, g);
        // The same parameters scored by a model that keeps item 29 in the softmax: one more term in every denominator.
        var unmasked = Small(2, dropout: 0, mask: false);
        unmasked.Fit(data, new FitOptions { Seed = 3 });
        var lossUnmasked = unmasked.LossAndGradient(data, 16, p, new float[p.Length]);
        Assert.True(lossUnmasked > lossMasked, $"{lossUnmasked} > {lossMasked}");
        // Masked, nothing depends on item 29's representation: moving its text vector changes neither loss nor gradient.
        var moved = TopicText();
        var rows = Enumerable.Range(0, Items).Select(i => i == 29 ? new float[] { 0, 0, 0, 1, 0, 0 } : moved.Values.AsSpan(i * E, E).ToArray()).ToArray();
        var other = Data(PretrainedVectors.FromRows("test-topics", E, rows));
        var same = Small(2, dropout: 0);
        same.Fit(other, new FitOptions { Seed = 3 });
        var g2 = new float[p.Length];
        Assert.Equal(lossMasked, same.LossAndGradient(other, 16, p, g2));
        Assert.Equal(g, g2);
    }

    [Fact]
    public void TextProjection_gradient_matches_central_finite_differences()
    {
        var data = Data(TopicText());
        var model = Small(2, dropout: 0);
        model.Fit(data, new FitOptions { Seed = 3 });
        var l = model.LayoutForTests;
        Assert.Equal(E, l.TextDim);
        var p = (float[])model.Parameters.Clone();
        var grads = new float[p.Length];
        model.LossAndGradient(data, 16, p, grads);
        // Every 7th entry of W (E×D = 96 entries), plus one id embedding and one position entry as a control.
        var picks = Enumerable.Range(0, E * l.D).Where(k => k % 7 == 0).Select(k => l.TextProj + k).Append(l.ItemEmb + 5 * l.D + 2).Append(l.PosEmb + 7 * l.D + 1).ToArray();
        var x = picks.Select(i => (double)p[i]).ToArray();
        var scratch = new float[p.Length];
        double Loss(double[] v)
        {
            var q = (float[])p.Clone();
            for (var k = 0; k < picks.Length; k++) q[picks[k]] = (float)v[k];
            return model.LossAndGradient(data, 16, q, scratch);
        }
        var numerical = GradCheck.Numerical(x, Loss, h: 1e-3);
        GradCheck.AssertClose(numerical, picks.Select(i => grads[i]).ToArray(), rtol: 2e-2, atol: 2e-4);
        Assert.True(picks.Take(picks.Length - 2).Any(i => Math.Abs(grads[i]) > 1e-3), "the text projection gets a gradient");
    }

    [Fact]
    public void Without_text_training_is_bit_identical_to_a_model_that_never_heard_of_text()
    {
        var none = Small(6); var absent = Small(6);
        none.Fit(Data(null), new FitOptions { Seed = 9 });
        absent.Fit(Data(TopicText(new bool[Items])), new FitOptions { Seed = 9 }); // vectors given, no item has any
        Assert.Equal(0, absent.LayoutForTests.TextDim);
        Assert.Null(absent.TextEncoder);
        Assert.Equal(none.Parameters, absent.Parameters);
        // With text, only the projection is added at the end of the parameter array.
        var with = Small(6);
        with.Fit(Data(TopicText()), new FitOptions { Seed = 9 });
        Assert.Equal(none.ParameterCount + E * 16, with.ParameterCount);
        Assert.Equal("test-topics", with.TextEncoder);
    }

    [Fact]
    public void Without_images_training_is_bit_identical_to_text_alone()
    {
        // Issue #19: the trainer joins text and image vectors (PretrainedVectors.Join); a catalog where no item has
        // an image must train exactly as it did before images existed.
        var textOnly = Small(6); var noImages = Small(6);
        textOnly.Fit(Data(TopicText()), new FitOptions { Seed = 9 });
        var joined = PretrainedVectors.Join(TopicText(), PretrainedVectors.None("test-images", 4, Items));
        noImages.Fit(Data(joined), new FitOptions { Seed = 9 });
        Assert.Equal("test-topics", noImages.TextEncoder);
        Assert.Equal(textOnly.Parameters, noImages.Parameters);
        // With an image part present the projection reads both parts (E + 4 inputs) under the joined id.
        var rows = Enumerable.Range(0, Items).Select(i => i % 2 == 0 ? new float[] { 1, 0, 0, 0 } : null).ToArray();
        var withImages = Small(6);
        withImages.Fit(Data(PretrainedVectors.Join(TopicText(), PretrainedVectors.FromRows("test-images", 4, rows))), new FitOptions { Seed = 9 });
        Assert.Equal("test-topics+test-images", withImages.TextEncoder);
        Assert.Equal(textOnly.ParameterCount + 4 * 16, withImages.ParameterCount);
    }

    [Fact]
    public void A_cold_item_with_text_lands_beside_the_items_whose_text_it_shares_and_survives_save_and_load()
    {
        var with = Small(30);
        with.Fit(Data(TopicText()), new FitOptions { Seed = 5 });
        var similar = with.SimilarItems(29, 5);                     // item 29: never consumed, topic 29 % 3 = 2
        var sameTopic = similar.Count(s => s.Item % 3 == 2);
        Assert.True(sameTopic >= 4, $"{sameTopic} of the 5 items most similar to the cold item share its topic");
        // Without text the cold item is only its untrained id embedding: its neighbours are no better than chance (1 in 3).
        var without = Small(30);
        without.Fit(Data(null), new FitOptions { Seed = 5 });
        Assert.True(without.SimilarItems(29, 5).Count(s => s.Item % 3 == 2) < sameTopic);

        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) with.Write(w);
        ms.Position = 0;
        var loaded = SasRec.Read(new BinaryReader(ms));
        Assert.Equal("test-topics", loaded.TextEncoder);
        Assert.Equal(with.ColdNeighbours, loaded.ColdNeighbours);
        Assert.Equal(with.ColdBoost, loaded.ColdBoost);
        Assert.Equal(with.ColdDirectionForTests.ToArray(), loaded.ColdDirectionForTests.ToArray());
        Assert.Equal(with.ItemVectors.ToArray(), loaded.ItemVectors.ToArray());
        var a = new float[Items]; var b = new float[Items];
        with.Score(-1, [3, 4, 5], a); loaded.Score(-1, [3, 4, 5], b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_new_items_vector_from_its_text_is_what_the_model_gives_an_untrained_item_with_that_text()
    {
        var with = Small(6);
        var text = TopicText();
        with.Fit(Data(text), new FitOptions { Seed = 5 });
        // Item 29 was never consumed and has no attribute: its representation is its text alone, t·W.
        var v = new float[16];
        Assert.True(with.ItemVectorFromText(text.Of(29), v));
        var rep = with.ItemVectors.RowCopy(29);
        for (var k = 0; k < 16; k++) Assert.Equal(rep[k], v[k], 5);
        Assert.Throws<ArgumentException>(() => with.ItemVectorFromText(new float[E + 1], v));
        var without = Small(2);
        without.Fit(Data(null), new FitOptions { Seed = 5 });
        Assert.False(without.ItemVectorFromText(text.Of(29), v));
    }

    [Fact]
    public void A_cold_item_whose_text_is_a_trained_items_text_gets_that_items_representation_and_ranks_with_it()
    {
        // One-hot texts: item i reads e_i, except the never-consumed item 29, which reads item 5's text exactly. Every other
        // trained item's cosine with it is 0, so item 5 is its one neighbour, weight 1: the imputed id embedding is item 5's.
        var rows = Enumerable.Range(0, Items).Select(i => { var v = new float[Items]; v[i == 29 ? 5 : i] = 1; return v; }).ToArray();
        var text = PretrainedVectors.FromRows("one-hot", Items, rows);
        var model = Small(6);
        model.Fit(Data(text), new FitOptions { Seed = 5 });
        var reps = model.ItemVectors.Floats;
        Assert.Equal(reps.Slice(5 * 16, 16).ToArray(), reps.Slice(29 * 16, 16).ToArray());
        Assert.NotEqual(reps.Slice(4 * 16, 16).ToArray(), reps.Slice(29 * 16, 16).ToArray());
        var scores = new float[Items];
        model.Score(-1, [1, 2, 3, 4], scores);
        Assert.Equal(scores[5], scores[29]);
        // The serving path for a new item (no catalog row, only the text vector) gives the same vector.
        var v = new float[16];
        Assert.True(model.ItemVectorFromText(text.Of(29), v));
        Assert.Equal(reps.Slice(5 * 16, 16).ToArray(), v);
    }

    [Fact]
    public void A_cold_items_imputed_id_embedding_is_the_cosine_weighted_mean_of_its_k_text_nearest_trained_items()
    {
        var text = TopicText();
        var model = Small(6);
        model.Fit(Data(text), new FitOptions { Seed = 5 });
        var l = model.LayoutForTests; var p = model.Parameters; const int d = 16;
        // Reference, written out: cosines of item 29's text with items 0..28 (all trained), the 10 largest positive ones.
        var t = text.Of(29).ToArray();
        double Cos(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        var nearest = Enumerable.Range(0, 29).Select(j => (j, cos: Cos(t, text.Of(j).ToArray()))).Where(x => x.cos > 0)
            .OrderByDescending(x => x.cos).ThenBy(x => x.j).Take(model.ColdNeighbours).ToArray();
        Assert.Contains(model.ColdNeighbours, SasRec.ColdNeighbourChoices);
        Assert.Equal(model.ColdNeighbours, nearest.Length);
        var sum = nearest.Sum(x => x.cos);
        var expected = new double[d];
        foreach (var (j, cos) in nearest)
            for (var k = 0; k < d; k++) expected[k] += cos / sum * p[l.ItemEmb + j * d + k];
        for (var k = 0; k < d; k++)
            for (var e = 0; e < E; e++) expected[k] += t[e] * p[l.TextProj + e * d + k];   // + t·W
        var direction = model.ColdDirectionForTests;                                          // + β·v, when a boost was chosen
        for (var k = 0; k < direction.Length; k++) expected[k] += model.ColdBoost * direction[k];
        var rep = model.ItemVectors.RowCopy(29);
        for (var k = 0; k < d; k++) Assert.Equal(expected[k], rep[k], 4);
        // A trained item's row is untouched: its own id embedding + t·W.
        var t3 = text.Of(3).ToArray();
        for (var k = 0; k < d; k++)
        {
            var own = p[l.ItemEmb + 3 * d + k] + Enumerable.Range(0, E).Sum(e => (double)t3[e] * p[l.TextProj + e * d + k]);
            Assert.Equal(own, model.ItemVectors.Floats[3 * d + k], 4);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_cold_items_neighbour_count_and_boost_are_the_ones_that_rank_all_validation_cases_best_with_pseudo_cold_targets(bool onOffer)
    {
        // onOffer: the data says nothing arrived after it, so the never-consumed item 29 was on offer throughout: placed, never lifted.
        var data = Data(TopicText(), repeats: true, arrivals: onOffer ? new HashSet<int>() : null);
        var model = new SasRec(Small(6).Options with { RefitWithValidation = false });   // the choice is made by this very model
        model.Fit(data, new FitOptions { Seed = 5 });
        var l = model.LayoutForTests; var p = model.Parameters; const int d = 16;
        var text = data.Text!;
        // Reference, written out: a seeded 10 % of the validation targets become pseudo-cold (all of 0..28 are trained and
        // have text); they and the never-consumed item 29 are scored as t·W + the cosine-weighted mean id embedding of their
        // k text-nearest trained items outside the pseudo-cold set + β·v, v the mean user state scaled so h·v averages 1;
        // every other item keeps its own id embedding + t·W. Each case is scored by the harness's metric: its target ranked
        // against all items outside its history, ties against it. A case whose target repeats its history scores 0 in every
        // cell there, so the choice leaves it out.
        double Cos(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        var usable = data.Validation.Where(c => c.Targets.Length == 1 && c.Targets[0] < Items && c.Input.Length > 0).ToArray();
        Assert.Contains(usable, c => c.Input.Contains(c.Targets[0]));
        var cases = usable.Where(c => !c.Input.Contains(c.Targets[0])).ToArray();
        var rng = new Random(5);
        var pseudo = cases.Select(c => c.Targets[0]).Distinct().Order().Where(_ => rng.NextDouble() < SasRec.PseudoColdShare).ToHashSet();
        Assert.NotEmpty(pseudo);
        var cold = pseudo.Append(29).ToHashSet();
        double[] Side(int i) => Enumerable.Range(0, d).Select(q => Enumerable.Range(0, E).Sum(e => (double)text.Of(i)[e] * p[l.TextProj + e * d + q])).ToArray();
        double[] Own(int i) { var s = Side(i); for (var q = 0; q < d; q++) s[q] += p[l.ItemEmb + i * d + q]; return s; }
        double[] Imputed(int i, int k)
        {
            var near = Enumerable.Range(0, 29).Where(j => !pseudo.Contains(j)).Select(j => (j, cos: Cos(text.Of(i).ToArray(), text.Of(j).ToArray())))
                .Where(x => x.cos > 0).OrderByDescending(x => x.cos).ThenBy(x => x.j).Take(k).ToArray();
            var sum = near.Sum(x => x.cos);
            var s = Side(i);
            foreach (var (j, cos) in near) for (var q = 0; q < d; q++) s[q] += cos / sum * p[l.ItemEmb + j * d + q];
            return s;
        }
        var hs = cases.Select(c => { var h = new float[d]; model.EncodeUser(c.User, c.Input, h); return h.Select(x => (double)x).ToArray(); }).ToArray();
        var mean = Enumerable.Range(0, d).Select(q => hs.Average(h => h[q])).ToArray();
        var meanDot = hs.Average(h => h.Zip(mean, (a, b) => a * b).Sum());
        Assert.True(meanDot > 0);
        var expected = new double[SasRec.ColdNeighbourChoices.Length, SasRec.ColdBoostChoices.Length];
        var expectedCold = new double[SasRec.ColdNeighbourChoices.Length, SasRec.ColdBoostChoices.Length];
        var coldCases = cases.Count(c => cold.Contains(c.Targets[0]));
        Assert.True(coldCases > 0);
        for (var k = 0; k < SasRec.ColdNeighbourChoices.Length; k++)
        {
            var rows = Enumerable.Range(0, Items).Select(i => cold.Contains(i) ? Imputed(i, SasRec.ColdNeighbourChoices[k]) : Own(i)).ToArray();
            for (var b = 0; b < SasRec.ColdBoostChoices.Length; b++)
                for (var c = 0; c < cases.Length; c++)
                {
                    var h = hs[c];
                    var lift = SasRec.ColdBoostChoices[b] * h.Zip(mean, (x, y) => x * y).Sum() / meanDot;
                    // A new target competes with every cold item as placed; a known one with the catalog as it is: the
                    // pseudo-cold items keep their own rows, and only item 29 is placed and boosted.
                    var newTarget = cold.Contains(cases[c].Targets[0]);
                    bool Placed(int i) => cold.Contains(i) && (newTarget || !pseudo.Contains(i));
                    bool Lifted(int i) => Placed(i) && (pseudo.Contains(i) || !onOffer);
                    double Score(int i) => h.Zip(Placed(i) ? rows[i] : Own(i), (x, y) => x * y).Sum() + (Lifted(i) ? lift : 0);
                    var gain = ValidationMetric.CaseNdcg(cases[c], Enumerable.Range(0, Items).Select(i => (float)Score(i)).ToArray(), 10);
                    expected[k, b] += gain;
                    if (cold.Contains(cases[c].Targets[0])) expectedCold[k, b] += gain;
                }
        }
        Assert.Equal(SasRec.ColdNeighbourChoices.Length, model.ColdImputationNdcg.Count);
        // The choice weighs a pseudo-cold case by the catalog's odds of a new item (item 29 among the 30 with text: 1 to 29;
        // none when it was on offer throughout) over the simulation's odds (its pseudo-cold cases to the others).
        var weight = onOffer ? 0 : (cases.Length - coldCases) / (29.0 * coldCases);
        Assert.Equal(weight, SasRec.PseudoColdWeight(1, SasRec.NewItemShare(onOffer ? 0 : 1, 30), coldCases, cases.Length), 9);
        double Objective(int k, int b) => expected[k, b] + (weight - 1) * expectedCold[k, b];
        var (bestK, bestB) = (0, 0);
        for (var k = 0; k < SasRec.ColdNeighbourChoices.Length; k++)
            for (var b = 0; b < SasRec.ColdBoostChoices.Length; b++)
            {
                Assert.Equal(expected[k, b] / cases.Length, model.ColdImputationNdcg[k][b], 3);
                Assert.Equal(expectedCold[k, b] / coldCases, model.PseudoColdNdcg[k][b], 3);
                if (Objective(k, b) > Objective(bestK, bestB) + 1e-9) (bestK, bestB) = (k, b);
            }
        Assert.Equal(SasRec.ColdNeighbourChoices[bestK], model.ColdNeighbours);
        Assert.Equal(SasRec.ColdBoostChoices[bestB], model.ColdBoost);
        // The served row of the really untrained item 29 is built the same way (neighbours from every trained item).
        var direction = model.ColdDirectionForTests.ToArray();
        Assert.Equal(model.ColdBoost == 0 ? 0 : d, direction.Length);
        for (var q = 0; q < direction.Length; q++) Assert.Equal(mean[q] / meanDot, direction[q], 4);
    }

    [Fact]
    public void Only_a_new_arrival_is_boosted_and_an_untrained_item_on_offer_throughout_is_placed_without_it_also_after_save_and_load()
    {
        // Items 28 and 29 are never consumed; only 29 arrived after the data. Weighted 100 ×, the choice boosts new items.
        var text = TopicText();
        var model = new SasRec(Small(6).Options with { NewItemWeight = 100 });
        model.Fit(Data(text, arrivals: new HashSet<int> { 29 }, walk: 28), new FitOptions { Seed = 5 });
        Assert.True(model.ColdBoost > 0);
        const int d = 16;
        double Cos(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        // Written out: t·W + the cosine-weighted mean id embedding of the k text-nearest trained items (+ β·v when lifted).
        double[] Placed(SasRec m, int i, bool lifted)
        {
            var l = m.LayoutForTests; var p = m.Parameters;
            var t = text.Of(i).ToArray();
            var near = Enumerable.Range(0, 28).Select(j => (j, cos: Cos(t, text.Of(j).ToArray()))).Where(x => x.cos > 0)
                .OrderByDescending(x => x.cos).ThenBy(x => x.j).Take(m.ColdNeighbours).ToArray();
            var sum = near.Sum(x => x.cos);
            var row = new double[d];
            foreach (var (j, cos) in near) for (var k = 0; k < d; k++) row[k] += cos / sum * p[l.ItemEmb + j * d + k];
            for (var k = 0; k < d; k++) row[k] += Enumerable.Range(0, E).Sum(e => (double)t[e] * p[l.TextProj + e * d + k]);
            if (lifted) for (var k = 0; k < d; k++) row[k] += m.ColdBoost * m.ColdDirectionForTests[k];
            return row;
        }
        void Check(SasRec m, bool lifted28)
        {
            foreach (var (item, lifted) in new[] { (28, lifted28), (29, true) })
            {
                var expected = Placed(m, item, lifted);
                for (var k = 0; k < d; k++) Assert.Equal(expected[k], m.ItemVectors.Floats[item * d + k], 4);
            }
        }
        Check(model, lifted28: false);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) model.Write(w);
        ms.Position = 0;
        var loaded = SasRec.Read(new BinaryReader(ms));
        Check(loaded, lifted28: false);
        Assert.Equal(model.ItemVectors.ToArray(), loaded.ItemVectors.ToArray());
        // The same fit without arrival information boosts both.
        var unknown = new SasRec(Small(6).Options with { NewItemWeight = 100 });
        unknown.Fit(Data(text, walk: 28), new FitOptions { Seed = 5 });
        Assert.True(unknown.ColdBoost > 0);
        Check(unknown, lifted28: true);
    }

    [Fact]
    public void Pseudo_cold_cases_are_weighed_at_the_catalogs_own_share_of_new_items()
    {
        // 100 cases, 10 of them pseudo-cold: the simulation's odds of a new target are 1 to 9.
        Assert.Equal(1, SasRec.PseudoColdWeight(1, 0.1, 10, 100), 9);          // the catalog's share is the simulation's
        Assert.Equal(10, SasRec.PseudoColdWeight(10, 0.1, 10, 100), 9);        // then the shop's weight
        Assert.Equal(9.0 / 99, SasRec.PseudoColdWeight(1, 0.01, 10, 100), 9);  // 1 % new items: odds 1 to 99
        Assert.Equal(0, SasRec.PseudoColdWeight(10, 0, 10, 100));              // no new items: nothing to place
        Assert.Equal(3, SasRec.PseudoColdWeight(3, 0.2, 0, 100));              // no pseudo-cold case: the weight is moot
        Assert.Equal(0.01, SasRec.NewItemShare(19, 1_900), 9);
        Assert.Equal(0.9, SasRec.NewItemShare(10, 10));                        // capped
        Assert.Equal(0, SasRec.NewItemShare(0, 0));
    }

    [Fact]
    public void A_shop_that_values_new_items_more_gets_the_choice_that_weighs_pseudo_cold_cases_that_many_times()
    {
        // Summed gains of 100 cases, 10 of them pseudo-cold: cell (0, 0) ranks the known targets best, (0, 1) gives up 2
        // of their gain for 1.5 more on the new items, (1, 0) ties (0, 0) and loses to it (the earlier cell wins ties), (1, 1) is best for new items.
        var known = new double[,] { { 11.5, 9.5 }, { 11.5, 6.5 } };
        var cold = new double[,] { { 0.5, 2.0 }, { 0.5, 2.5 } };
        Assert.Equal((0, 0), SasRec.BestColdChoice(known, cold, 1));     // 12 > 11.5
        Assert.Equal((0, 0), SasRec.BestColdChoice(known, cold, 1.2));   // 12.1 = 12.1 > 11.9 > 9.5
        Assert.Equal((0, 0), SasRec.BestColdChoice(known, cold, 0));     // no new items: the known targets alone decide
        Assert.Equal((0, 1), SasRec.BestColdChoice(known, cold, 2));     // 13.5 > 12.5 = 12.5 > 11.5
        Assert.Equal((1, 1), SasRec.BestColdChoice(known, cold, 10));    // 31.5 > 29.5 > 16.5
        // The family's name round-trips, and the same fit gets the same figures whatever the weight: it changes the choice only.
        var model = (SasRec)Merx.Models.ModelRegistry.Create("sasrec-new:3");
        Assert.Equal("sasrec-new:3", model.Name);
        Assert.Equal(3f, model.Options.NewItemWeight);
        Assert.Throws<ArgumentException>(() => Merx.Models.ModelRegistry.Create("sasrec-new:0"));
        var data = Data(TopicText());
        var weighted = new SasRec(Small(6).Options with { NewItemWeight = 100 });
        weighted.Fit(data, new FitOptions { Seed = 5 });
        var plain = Small(6);
        plain.Fit(data, new FitOptions { Seed = 5 });
        Assert.Equal(plain.Parameters, weighted.Parameters);
        Assert.Equal(plain.ColdImputationNdcg.SelectMany(x => x), weighted.ColdImputationNdcg.SelectMany(x => x));
        Assert.Equal(plain.PseudoColdNdcg.SelectMany(x => x), weighted.PseudoColdNdcg.SelectMany(x => x));
    }

    [Fact]
    public void The_cold_choice_is_made_before_the_refit_trains_on_the_validation_targets_and_its_direction_follows_the_refit()
    {
        var data = Data(TopicText());
        // Early stopping on, so the selected model is the one a fit without refit ends with; then the refit from scratch.
        var options = Small(10).Options with { EvalEvery = 1, Patience = 2 };
        var selectedOnly = new SasRec(options with { RefitWithValidation = false });
        selectedOnly.Fit(data, new FitOptions { Seed = 5 });
        var refit = new SasRec(options with { NewItemWeight = 100 });       // heavy weight: a boost is chosen here
        refit.Fit(data, new FitOptions { Seed = 5 });
        var selectedWeighted = new SasRec(options with { RefitWithValidation = false, NewItemWeight = 100 });
        selectedWeighted.Fit(data, new FitOptions { Seed = 5 });
        Assert.NotEqual(selectedWeighted.Parameters, refit.Parameters);                                   // the refit ran
        Assert.Equal(selectedWeighted.ColdImputationNdcg.SelectMany(x => x), refit.ColdImputationNdcg.SelectMany(x => x));
        Assert.Equal(selectedWeighted.ColdNeighbours, refit.ColdNeighbours);
        Assert.Equal(selectedWeighted.ColdBoost, refit.ColdBoost);
        Assert.True(refit.ColdBoost > 0, "weighted 100 ×, the choice boosts new items");
        Assert.Equal(selectedOnly.ColdImputationNdcg.SelectMany(x => x), selectedWeighted.ColdImputationNdcg.SelectMany(x => x));
        // v is the refit model's own mean user state (h·v averages 1 over the choice's cases), not the selected model's.
        var cases = data.Validation.Where(c => c.Targets.Length == 1 && c.Input.Length > 0).ToArray();
        var hs = cases.Select(c => { var h = new float[16]; refit.EncodeUser(c.User, c.Input, h); return h.Select(x => (double)x).ToArray(); }).ToArray();
        var mean = Enumerable.Range(0, 16).Select(q => hs.Average(h => h[q])).ToArray();
        var meanDot = hs.Average(h => h.Zip(mean, (a, b) => a * b).Sum());
        var direction = refit.ColdDirectionForTests.ToArray();
        for (var q = 0; q < 16; q++) Assert.Equal(mean[q] / meanDot, direction[q], 4);
        Assert.NotEqual(selectedWeighted.ColdDirectionForTests.ToArray(), direction);
    }
}
