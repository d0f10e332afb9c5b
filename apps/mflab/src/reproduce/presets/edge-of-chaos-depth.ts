/**
 * `mflab reproduce edge-of-chaos-depth` — Hayou, Doucet & Rousseau (ICML 2019) and "Mean-field
 * behaviour of the NTK": the infinite-width kernels of deep fully connected ReLU networks
 * (ARCHITECTURE.md §1, deep recursion) lose the information of their inputs as the depth L
 * grows. The normalized NNGP ρ_Σ(L) tends to 1 — polynomially, 1 − ρ_Σ ~ 9π²/(2L²), on the edge
 * of chaos (σ_w² = 2, σ_b² = 0), exponentially, at rate −ln(σ_w²/2) per layer, in the ordered
 * phase (σ_w² < 2, σ_b² > 0). The normalized NTK degenerates too, to 1 in the ordered phase but
 * to ¼ off the diagonal on the edge of chaos.
 *
 * Analytic: core's deep ReLU recursion for four input pairs at depths 1…200 (and 10⁴ for the
 * asymptotic constants), no training, no study directory.
 */
import type { Claim, FigureRequest, Preset, PresetContext, PresetResult } from '../types.js';
import { depthProfile, fitDecay, type DecayFit, type DepthProfile, type Initialization } from './edge-of-chaos-depth/depth-kernels.js';
import { depthCurvesSpec, type DepthRow } from './edge-of-chaos-depth/plots.js';

/** The depths of the issue, L = 1…200. */
const MAX_DEPTH = 200;
/** Where the asymptotic constants (9π²/2, the NTK's ¼) are checked: O(log L / L) corrections are ~0.1–0.5% there. */
const ASYMPTOTIC_DEPTH = 10_000;
/** Input pairs, ρ₀ = ⟨x,x'⟩/d; ρ₀ = 0 (orthogonal inputs) carries the rate fits. */
const INPUT_CORRELATIONS = [-0.5, 0, 0.5, 0.9] as const;
const MAIN_CORRELATION = 0;
/**
 * Gaps 1 − ρ below this are not fitted: 1 − ρ is formed as (A − C)/A from values carrying ~L
 * roundings of 1e-16 each, so at 1e-9 it still has ~5 significant digits.
 */
const FIT_FLOOR = 1e-9;
/** Figures drop gaps below this (rounding noise). */
const PLOT_FLOOR = 1e-12;
/** The NNGP fits start at L = 10 (past the first layers' transient); the NTK ones at L = 20, past the depth where ρ_Θ crosses ¼ on the edge. */
const NNGP_FIT_FROM = 10;
const NTK_FIT_FROM = 20;
const EOC_CONSTANT = (9 * Math.PI * Math.PI) / 2;

/**
 * The initializations. For ReLU the edge of chaos is the single point (2, 0); "off" it we take
 * the ordered phase (σ_w² < 2 with σ_b² > 0: the variance has the fixed point q* = σ_b²/(1 − σ_w²/2)
 * and χ = σ_w²/2 < 1) at three distances from the edge, plus two points that are off the edge
 * but not ordered, to show what happens there: σ_w² > 2 (the variance explodes like (σ_w²/2)^L
 * and σ_b² fades out) and σ_b² = 0 with σ_w² ≠ 2 (ReLU is positively homogeneous, so the
 * correlation map is exactly the edge's while the variance vanishes or explodes).
 */
const INITIALIZATIONS: readonly Initialization[] = [
  { id: 'edge', label: 'edge of chaos (2, 0)', weightVariance: 2, biasVariance: 0, phase: 'edge' },
  { id: 'ordered-far', label: 'ordered (1, 0.5)', weightVariance: 1, biasVariance: 0.5, phase: 'ordered' },
  { id: 'ordered', label: 'ordered (1.5, 0.5)', weightVariance: 1.5, biasVariance: 0.5, phase: 'ordered' },
  { id: 'ordered-near', label: 'ordered, near the edge (1.9, 0.1)', weightVariance: 1.9, biasVariance: 0.1, phase: 'ordered' },
  { id: 'exploding', label: 'exploding variance (2.5, 0.1)', weightVariance: 2.5, biasVariance: 0.1, phase: 'exploding' },
  { id: 'zero-bias', label: 'no bias (1, 0)', weightVariance: 1, biasVariance: 0, phase: 'zero-bias' },
];

/** The NTK's degenerate limit of ρ_Θ: 1 in the ordered phase, ¼ where the correlation map is the edge's (edge, exploding, zero-bias). */
const ntkLimitOf = (init: Initialization): number => (init.phase === 'ordered' ? 1 : 0.25);
/** The ordered phase's predicted rate of 1 − ρ_Σ: −ln χ with χ = σ_w²/2 (Hayou et al. 2019). */
const predictedRate = (init: Initialization): number => -Math.log(init.weightVariance / 2);

const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v));
const describe = (fit: DecayFit | null): string =>
  fit ? `L ∈ [${fit.from}, ${fit.to}]: power law p = ${fmt(fit.exponent)} (R² ${fit.powerR2.toFixed(4)}), exponential λ = ${fmt(fit.rate)} (R² ${fit.exponentialR2.toFixed(4)}) → ${fit.shape}` : 'too few resolvable depths';

/** The last depth ≤ max at which the gap is still resolvable (≥ FIT_FLOOR). */
function lastResolvable(gap: Float64Array): number {
  let last = 0;
  for (let L = 1; L <= gap.length; L++) if (gap[L - 1] >= FIT_FLOOR) last = L;
  return last;
}

/** |ρ_Θ(L) − limit| at every depth. */
const ntkGapOf = (profile: DepthProfile, limit: number): Float64Array => profile.ntkCorrelation.map((v) => Math.abs(v - limit));

/** Log-spaced integer depths 1…max for the figures (every depth up to 20, then ~40 per decade). */
function plotDepths(max: number): number[] {
  const out = new Set<number>();
  for (let L = 1; L <= Math.min(20, max); L++) out.add(L);
  for (let e = Math.log10(20); e <= Math.log10(max) + 1e-9; e += 1 / 40) out.add(Math.min(max, Math.round(10 ** e)));
  out.add(max);
  return [...out].sort((a, b) => a - b);
}

export const preset: Preset = {
  id: 'edge-of-chaos-depth',
  title: 'Deep ReLU kernels degenerate with depth: polynomially on the edge of chaos, exponentially off it',
  paper:
    'S. Hayou, A. Doucet, J. Rousseau, "On the Impact of the Activation Function on Deep Neural Networks Training", ICML 2019; and "Mean-field Behaviour of Neural Tangent Kernel for Deep Neural Networks", arXiv:1905.13654',
  summary:
    'The infinite-width NNGP Σᴸ and NTK Θᴸ of a deep fully connected ReLU network (ARCHITECTURE.md §1), normalized to correlations ρ_Σ(L) and ρ_Θ(L), for depths L = 1…200 and four input pairs (⟨x,x′⟩/d = −0.5, 0, 0.5, 0.9), on the edge of chaos (σ_w², σ_b²) = (2, 0) and off it: three ordered-phase initializations (1, 0.5), (1.5, 0.5), (1.9, 0.1), and, for contrast, (2.5, 0.1) (exploding variance) and (1, 0) (no bias). Claims: the normalized kernels degenerate as L grows, 1 − ρ_Σ decays polynomially (~9π²/(2L²)) on the edge and exponentially (rate −ln(σ_w²/2)) in the ordered phase; the normalized NTK tends to ¼ on the edge and to 1 in the ordered phase, polynomially and exponentially. Fitted rates are reported. Analytic, no training.',
  runtime: { quick: '≈ 1 s', full: '≈ 1 s' },
  async run(context: PresetContext): Promise<PresetResult> {
    const notes: string[] = [
      'Analytic (core\'s deep ReLU recursion, deepReluKernelLayers): --quick computes exactly what the full run does, which takes well under a second.',
      `Inputs: x, x′ ∈ R² with ⟨x,x⟩/d = ⟨x′,x′⟩/d = 1 and ⟨x,x′⟩/d = ρ₀ ∈ {${INPUT_CORRELATIONS.join(', ')}}; the first layer uses the same (σ_w², σ_b²) as the others (Σ⁰ = σ_w²⟨x,x′⟩/d + σ_b²). Rates are fitted for ρ₀ = ${MAIN_CORRELATION}; the limits are checked for every ρ₀.`,
      'Off the edge of chaos: for ReLU the edge is the single point (σ_w², σ_b²) = (2, 0). With σ_b² = 0 and σ_w² ≠ 2 the correlation map is exactly the edge\'s (ReLU is positively homogeneous: only the variance changes, as (σ_w²/2)^L), so "off the edge" needs σ_b² > 0. We take the ordered phase σ_w² < 2, σ_b² > 0 at three distances from the edge (χ = σ_w²/2 = 0.5, 0.75, 0.95). σ_w² > 2 is not a chaotic phase for ReLU: the variance explodes, σ_b² fades out, and the correlations converge polynomially as on the edge; it is shown for contrast, as is σ_b² = 0.',
      `Fits: ln g against ln L (power law g ∝ L^−p) and against L (exponential g ∝ e^−λL) by least squares; a decay is called polynomial when the log–log line has the higher R², exponential otherwise. NNGP fits start at L = ${NNGP_FIT_FROM}, NTK fits at L = ${NTK_FIT_FROM} (on the edge ρ_Θ crosses ¼ near L = 3, so |ρ_Θ − ¼| has a zero there); gaps below ${FIT_FLOOR} are not fitted (float64 resolution, see depth-kernels.ts). The ordered-phase rate is fitted on the tail, the upper half of the resolvable depths, where the asymptotic rate has set in.`,
    ];
    context.log(`edge-of-chaos-depth: deep ReLU kernels for ${INITIALIZATIONS.length} initializations × ${INPUT_CORRELATIONS.length} input pairs, L = 1…${MAX_DEPTH} (and ${ASYMPTOTIC_DEPTH})`);

    const profiles = new Map<string, DepthProfile[]>();
    for (const init of INITIALIZATIONS) {
      if (context.signal.aborted) break;
      profiles.set(
        init.id,
        INPUT_CORRELATIONS.map((rho0) => depthProfile(init, rho0, MAX_DEPTH)),
      );
    }
    const edge = INITIALIZATIONS[0];
    const ordered = INITIALIZATIONS.filter((i) => i.phase === 'ordered');
    const mainOf = (init: Initialization): DepthProfile | undefined => profiles.get(init.id)?.find((p) => p.inputCorrelation === MAIN_CORRELATION);
    const edgeMain = mainOf(edge);
    // The asymptotic constants need deeper networks; on the edge each profile costs O(L).
    const edgeDeep = context.signal.aborted ? [] : INPUT_CORRELATIONS.map((rho0) => depthProfile(edge, rho0, ASYMPTOTIC_DEPTH));
    const orderedDeep = context.signal.aborted ? [] : ordered.flatMap((init) => INPUT_CORRELATIONS.map((rho0) => ({ init, profile: depthProfile(init, rho0, ASYMPTOTIC_DEPTH) })));

    // --- NNGP ---------------------------------------------------------------------------------
    const allProfiles = [...profiles.values()].flat();
    const worstNngpGap = allProfiles.length ? Math.max(...allProfiles.map((p) => p.nngpGap[MAX_DEPTH - 1])) : Number.NaN;
    const edgeNngpFit = edgeMain ? fitDecay(edgeMain.nngpGap, NNGP_FIT_FROM, MAX_DEPTH, FIT_FLOOR) : null;
    const edgeLocalExponent = edgeMain ? -Math.log(edgeMain.nngpGap[MAX_DEPTH - 1] / edgeMain.nngpGap[MAX_DEPTH / 2 - 1]) / Math.log(2) : Number.NaN;
    const constantRatio = (p: DepthProfile, L: number) => (L * L * p.nngpGap[L - 1]) / EOC_CONSTANT;
    const deepMain = edgeDeep.find((p) => p.inputCorrelation === MAIN_CORRELATION);
    const constantAtDeep = deepMain ? constantRatio(deepMain, ASYMPTOTIC_DEPTH) : Number.NaN;
    const constantWorstDeep = edgeDeep.length ? Math.max(...edgeDeep.map((p) => Math.abs(constantRatio(p, ASYMPTOTIC_DEPTH) - 1))) : Number.NaN;

    const orderedNngp = ordered.map((init) => {
      const profile = mainOf(init);
      if (!profile) return { init, shape: null, tail: null };
      const last = lastResolvable(profile.nngpGap);
      return { init, shape: fitDecay(profile.nngpGap, NNGP_FIT_FROM, last, FIT_FLOOR), tail: fitDecay(profile.nngpGap, Math.ceil(last / 2), last, FIT_FLOOR) };
    });
    const orderedNngpHolds = orderedNngp.every((o) => o.shape?.shape === 'exponential' && o.tail !== null && Math.abs(o.tail.rate / predictedRate(o.init) - 1) <= 0.1);
    const orderedNngpMeasured = orderedNngp.every((o) => o.shape && o.tail);

    // --- NTK ----------------------------------------------------------------------------------
    const edgeNtkAt = (L: number, set: readonly DepthProfile[]) => (set.length ? Math.max(...set.map((p) => Math.abs(p.ntkCorrelation[L - 1] - 0.25))) : Number.NaN);
    const edgeNtk200 = edgeNtkAt(MAX_DEPTH, profiles.get(edge.id) ?? []);
    const edgeNtkDeep = edgeNtkAt(ASYMPTOTIC_DEPTH, edgeDeep);
    const edgeNtkFit = edgeMain ? fitDecay(ntkGapOf(edgeMain, 0.25), NTK_FIT_FROM, MAX_DEPTH, FIT_FLOOR) : null;
    const orderedNtkGaps200 = ordered.flatMap((init) => (profiles.get(init.id) ?? []).map((p) => ({ init, gap: 1 - p.ntkCorrelation[MAX_DEPTH - 1] })));
    const orderedNtkWorst200 = orderedNtkGaps200.reduce<{ init: Initialization; gap: number } | null>((worst, g) => (worst === null || g.gap > worst.gap ? g : worst), null);
    const orderedNtkDeep = orderedDeep.length ? Math.max(...orderedDeep.map(({ profile }) => 1 - profile.ntkCorrelation[ASYMPTOTIC_DEPTH - 1])) : Number.NaN;
    const orderedNtk = ordered.map((init) => {
      const profile = mainOf(init);
      if (!profile) return { init, shape: null, tail: null };
      const gap = ntkGapOf(profile, 1);
      const last = lastResolvable(gap);
      return { init, shape: fitDecay(gap, NNGP_FIT_FROM, last, FIT_FLOOR), tail: fitDecay(gap, Math.ceil(last / 2), last, FIT_FLOOR) };
    });

    // Off the edge but not ordered: what the fits say there (notes, not claims).
    for (const init of INITIALIZATIONS.filter((i) => i.phase === 'exploding' || i.phase === 'zero-bias')) {
      const profile = mainOf(init);
      if (!profile) continue;
      notes.push(
        `${init.label}: 1 − ρ_Σ ${describe(fitDecay(profile.nngpGap, NNGP_FIT_FROM, MAX_DEPTH, FIT_FLOOR))}; |ρ_Θ − ¼| ${describe(fitDecay(ntkGapOf(profile, 0.25), NTK_FIT_FROM, MAX_DEPTH, FIT_FLOOR))}; ρ_Θ(200) = ${fmt(profile.ntkCorrelation[MAX_DEPTH - 1], 4)}. Off the edge yet polynomial, with the edge's limits: Hayou et al.'s exponential regime is the ordered phase.`,
      );
    }
    notes.push(
      `The NTK's ordered-phase rate is about half the NNGP's: Σ̇ᴸ(x,x′) = σ_w²(π − θ_L)/(2π) depends on the angle θ_L ≈ √(2(1 − ρ_Σ)) ∝ χ^(L/2), not on 1 − ρ_Σ ∝ χ^L, so 1 − ρ_Θ ∝ χ^(L/2): fitted tail rates ${orderedNtk.map((o) => (o.tail ? `${fmt(o.tail.rate)} (−ln χ/2 = ${fmt(predictedRate(o.init) / 2)})` : '—')).join(', ')}. This factor ½ is derived here, not quoted from the paper.`,
      `On the edge the NNGP approaches its asymptote slowly: L²(1 − ρ_Σ)/(9π²/2) = ${edgeMain ? fmt(constantRatio(edgeMain, MAX_DEPTH), 4) : '—'} at L = 200, ${fmt(constantAtDeep, 4)} at L = ${ASYMPTOTIC_DEPTH} (ρ₀ = 0); the local exponent between L = 100 and 200 is ${fmt(edgeLocalExponent)}. The NTK gap |ρ_Θ − ¼| times L/ln L is ${edgeMain ? fmt((Math.abs(edgeMain.ntkCorrelation[MAX_DEPTH - 1] - 0.25) * MAX_DEPTH) / Math.log(MAX_DEPTH)) : '—'} at L = 200 and ${deepMain ? fmt((Math.abs(deepMain.ntkCorrelation[ASYMPTOTIC_DEPTH - 1] - 0.25) * ASYMPTOTIC_DEPTH) / Math.log(ASYMPTOTIC_DEPTH)) : '—'} at L = ${ASYMPTOTIC_DEPTH}: a decay between 1/L and log L/L.`,
      'What the degenerate limits mean for a Gram matrix over n distinct inputs: the normalized NNGP tends to the all-ones matrix (rank one: every input looks the same), the normalized NTK to 11ᵀ in the ordered phase and to ¼·11ᵀ + ¾·I on the edge (still invertible, but independent of the data: kernel regression with it predicts the mean of the labels plus a spike at each training point).',
    );

    const claims: Claim[] = [
      {
        id: 'nngp-degenerates',
        statement: 'As the depth grows, the normalized NNGP (the correlation of the pre-activations of two inputs) tends to 1 for every initialization: deep networks at initialization map all inputs to the same direction.',
        quantity: `max over the ${INITIALIZATIONS.length} initializations and the ${INPUT_CORRELATIONS.length} input pairs of 1 − ρ_Σ(L = ${MAX_DEPTH})`,
        value: worstNngpGap,
        criterion: '< 0.01',
        holds: Number.isFinite(worstNngpGap) ? worstNngpGap < 0.01 : null,
        note: Number.isFinite(worstNngpGap) ? undefined : 'the computation was interrupted',
      },
      {
        id: 'nngp-edge-polynomial',
        statement: 'On the edge of chaos (σ_w² = 2, σ_b² = 0) the convergence of the normalized NNGP is polynomial in the depth, not exponential.',
        quantity: `fitted exponent p of 1 − ρ_Σ(L) ∝ L^−p over L ∈ [${NNGP_FIT_FROM}, ${MAX_DEPTH}] (ρ₀ = 0), and which of the power-law and exponential fits has the higher R²`,
        value: edgeNngpFit ? edgeNngpFit.exponent : null,
        criterion: 'the power law (log–log line) fits better than the exponential (semi-log line)',
        holds: edgeNngpFit ? edgeNngpFit.shape === 'polynomial' : null,
        note: edgeNngpFit ? describe(edgeNngpFit) : 'too few resolvable depths (interrupted?)',
      },
      {
        id: 'nngp-edge-rate',
        statement: 'On the edge of chaos 1 − ρ_Σ(L) ~ 9π²/(2L²) as L → ∞.',
        quantity: `L²(1 − ρ_Σ(L)) / (9π²/2) at L = ${ASYMPTOTIC_DEPTH}, ρ₀ = 0 (the worst |ratio − 1| over the ${INPUT_CORRELATIONS.length} input pairs in the note)`,
        value: Number.isFinite(constantAtDeep) ? constantAtDeep : null,
        criterion: 'within 2% of 1 (the O(log L/L) corrections are below 1% at L = 10⁴)',
        holds: Number.isFinite(constantAtDeep) ? Math.abs(constantAtDeep - 1) <= 0.02 : null,
        note: Number.isFinite(constantAtDeep)
          ? `worst |ratio − 1| over ρ₀ at L = ${ASYMPTOTIC_DEPTH}: ${fmt(constantWorstDeep)}; at L = 200 the ratio is ${edgeMain ? fmt(constantRatio(edgeMain, MAX_DEPTH), 4) : '—'} (the approach is slow), the local exponent between L = 100 and 200 is ${fmt(edgeLocalExponent)}`
          : 'the computation was interrupted',
      },
      {
        id: 'nngp-ordered-exponential',
        statement: 'Off the edge of chaos, in the ordered phase (σ_w² < 2, σ_b² > 0), the normalized NNGP converges to 1 exponentially fast, 1 − ρ_Σ(L) ~ χ^L with χ = σ_w²/2 for ReLU.',
        quantity: 'for (1, 0.5), (1.5, 0.5), (1.9, 0.1), ρ₀ = 0: which fit is better from L = 10 on, and the tail rate λ of 1 − ρ_Σ ∝ e^−λL against −ln χ',
        value: orderedNngpMeasured ? orderedNngp.map((o) => `λ = ${fmt(o.tail?.rate ?? Number.NaN)} (−ln χ = ${fmt(predictedRate(o.init))})`).join('; ') : null,
        criterion: 'the exponential fits better for every initialization, and every tail rate is within 10% of −ln χ',
        holds: orderedNngpMeasured ? orderedNngpHolds : null,
        note: orderedNngpMeasured ? orderedNngp.map((o) => `${o.init.label}: ${describe(o.shape)}; tail ${describe(o.tail)}`).join(' | ') : 'too few resolvable depths (interrupted?)',
      },
      {
        id: 'ntk-edge-limit',
        statement: 'The normalized NTK degenerates with depth too; on the edge of chaos its limit is not 1 but ¼ off the diagonal: Θᴸ(x,x′) ≈ Θᴸ(x,x)/4 for every pair of distinct inputs, whatever their angle.',
        quantity: `max over the ${INPUT_CORRELATIONS.length} input pairs of |ρ_Θ(L) − ¼| at L = ${ASYMPTOTIC_DEPTH} (and at L = ${MAX_DEPTH} in the note)`,
        value: Number.isFinite(edgeNtkDeep) ? edgeNtkDeep : null,
        criterion: '< 0.01',
        holds: Number.isFinite(edgeNtkDeep) ? edgeNtkDeep < 0.01 : null,
        note: Number.isFinite(edgeNtkDeep) ? `at L = ${MAX_DEPTH}: ${fmt(edgeNtk200)}; ρ_Θ(200) = ${(profiles.get(edge.id) ?? []).map((p) => `${fmt(p.ntkCorrelation[MAX_DEPTH - 1], 4)} (ρ₀ = ${p.inputCorrelation})`).join(', ')}` : 'the computation was interrupted',
      },
      {
        id: 'ntk-edge-polynomial',
        statement: 'On the edge of chaos the normalized NTK converges to its limit polynomially in the depth.',
        quantity: `fitted exponent p of |ρ_Θ(L) − ¼| ∝ L^−p over L ∈ [${NTK_FIT_FROM}, ${MAX_DEPTH}] (ρ₀ = 0), and which fit has the higher R²`,
        value: edgeNtkFit ? edgeNtkFit.exponent : null,
        criterion: 'the power law fits better than the exponential',
        holds: edgeNtkFit ? edgeNtkFit.shape === 'polynomial' : null,
        note: edgeNtkFit ? describe(edgeNtkFit) : 'too few resolvable depths (interrupted?)',
      },
      {
        id: 'ntk-ordered-limit',
        statement: 'In the ordered phase the normalized NTK tends to 1: the NTK becomes a constant kernel.',
        quantity: `max over the ordered initializations and input pairs of 1 − ρ_Θ(L) at L = ${ASYMPTOTIC_DEPTH} (and at L = ${MAX_DEPTH} in the note)`,
        value: Number.isFinite(orderedNtkDeep) ? orderedNtkDeep : null,
        criterion: '< 0.01',
        holds: Number.isFinite(orderedNtkDeep) ? orderedNtkDeep < 0.01 : null,
        note: Number.isFinite(orderedNtkDeep) && orderedNtkWorst200 ? `at L = ${MAX_DEPTH}: ${fmt(orderedNtkWorst200.gap)} (largest for ${orderedNtkWorst200.init.label})` : 'the computation was interrupted',
      },
      {
        id: 'ntk-ordered-exponential',
        statement: 'In the ordered phase the normalized NTK converges to its limit exponentially fast.',
        quantity: 'for (1, 0.5), (1.5, 0.5), (1.9, 0.1), ρ₀ = 0: which fit of 1 − ρ_Θ(L) is better from L = 10 on, and the tail rate λ',
        value: orderedNtk.every((o) => o.shape && o.tail) ? orderedNtk.map((o) => `λ = ${fmt(o.tail?.rate ?? Number.NaN)}`).join('; ') : null,
        criterion: 'the exponential fits better for every initialization',
        holds: orderedNtk.every((o) => o.shape && o.tail) ? orderedNtk.every((o) => o.shape?.shape === 'exponential') : null,
        note: orderedNtk.every((o) => o.shape && o.tail) ? orderedNtk.map((o) => `${o.init.label}: ${describe(o.shape)}`).join(' | ') : 'too few resolvable depths (interrupted?)',
      },
    ];

    // --- Figures ------------------------------------------------------------------------------
    const depths = plotDepths(MAX_DEPTH);
    const seriesOrder = INITIALIZATIONS.map((i) => i.label);
    const mainRows = (pick: (p: DepthProfile, init: Initialization, L: number) => number, floor: number): DepthRow[] =>
      INITIALIZATIONS.flatMap((init) => {
        const profile = mainOf(init);
        if (!profile) return [];
        return depths.map((L) => ({ series: init.label, group: 'ρ₀ = 0', depth: L, value: pick(profile, init, L) })).filter((r) => r.value >= floor && Number.isFinite(r.value));
      });
    const nngpRows = mainRows((p, _i, L) => p.nngpGap[L - 1], PLOT_FLOOR);
    const reference = '9π²/(2L²)';
    const referenceRows: DepthRow[] = depths.filter((L) => L >= 5).map((L) => ({ series: reference, group: reference, depth: L, value: EOC_CONSTANT / (L * L) }));
    const figures: FigureRequest[] = [
      {
        name: 'nngp-gap-loglog',
        title: '1 − ρ_Σ(L): the normalized NNGP approaches 1 (log–log)',
        caption: `1 − ρ_Σ(L) for orthogonal inputs (ρ₀ = 0), L = 1…${MAX_DEPTH}, log–log: a power law is a straight line. The edge of chaos (and the two non-ordered points) follow 9π²/(2L²) (dashed); the ordered phase falls off a cliff. The no-bias curve coincides with the edge's (same correlation map) and hides it. Values below ${PLOT_FLOOR} (rounding) are not drawn.`,
        spec: depthCurvesSpec({ rows: [...nngpRows, ...referenceRows], seriesOrder, yTitle: '1 − ρ_Σ(L)', logX: true, logY: true, maxDepth: MAX_DEPTH, references: [reference] }),
      },
      {
        name: 'nngp-gap-semilog',
        title: '1 − ρ_Σ(L) against depth (semi-log): exponential decay in the ordered phase',
        caption: `The same curves on a linear depth axis: an exponential is a straight line, with slope −ln(σ_w²/2) in the ordered phase (fitted: ${orderedNngp.map((o) => `${o.init.label} ${fmt(o.tail?.rate ?? Number.NaN)} vs ${fmt(predictedRate(o.init))}`).join('; ')}).`,
        spec: depthCurvesSpec({ rows: nngpRows, seriesOrder, yTitle: '1 − ρ_Σ(L)', logX: false, logY: true, maxDepth: MAX_DEPTH }),
      },
      {
        name: 'ntk-correlation',
        title: 'The normalized NTK ρ_Θ(L): to ¼ on the edge of chaos, to 1 in the ordered phase',
        caption: `ρ_Θ(L) = Θᴸ(x,x′)/√(Θᴸ(x,x)Θᴸ(x′,x′)) for the four input pairs (one line each, ρ₀ = ${INPUT_CORRELATIONS.join(', ')}), L = 1…${MAX_DEPTH}. Dotted rules at ¼ and 1.`,
        spec: depthCurvesSpec({
          rows: INITIALIZATIONS.flatMap((init) =>
            (profiles.get(init.id) ?? []).flatMap((p) => depths.map((L) => ({ series: init.label, group: `ρ₀ = ${p.inputCorrelation}`, depth: L, value: p.ntkCorrelation[L - 1] }))),
          ),
          seriesOrder,
          yTitle: 'ρ_Θ(L)',
          logX: true,
          logY: false,
          maxDepth: MAX_DEPTH,
          levels: [
            { value: 0.25, label: '¼' },
            { value: 1, label: '1' },
          ],
        }),
      },
      {
        name: 'ntk-gap',
        title: 'Distance of the normalized NTK to its limit',
        caption: `|ρ_Θ(L) − limit| (limit ¼ on the edge and at the two non-ordered points, 1 in the ordered phase) for ρ₀ = 0, log–log. The dip near L = 3 on the edge is where ρ_Θ crosses ¼. Values below ${PLOT_FLOOR} are not drawn.`,
        spec: depthCurvesSpec({ rows: mainRows((p, init, L) => Math.abs(p.ntkCorrelation[L - 1] - ntkLimitOf(init)), PLOT_FLOOR), seriesOrder, yTitle: '|ρ_Θ(L) − limit|', logX: true, logY: true, maxDepth: MAX_DEPTH }),
      },
    ];
    if (context.signal.aborted) notes.push('Interrupted: some initializations were not computed.');
    return { claims, figures, notes };
  },
};
