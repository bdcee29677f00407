package io.github.bndoctor.scenario;
import io.github.bndoctor.probe.*;
public class ScratchRun { public static void main(String[] a){
  ScenarioConfig c = ScenarioConfig.seedDivergence().toBuilder().iterations(Integer.parseInt(a[0])).build();
  long t0=System.nanoTime();
  MonitoredScenario.Result r = MonitoredScenario.run(c, Integer.parseInt(a[1]), cp -> System.out.printf("it=%d train=%.4g eval=%.4g precise=%.4g ratio=%.3g verdict=%s predLag=%.3g emaErr=%.3g%n", cp.iteration(), cp.gap().trainModeLoss(), cp.gap().evalModeLoss(), cp.gap().preciseLoss(), cp.gap().evalToTrainRatio(), cp.verdict(), cp.medianPredictedLag(), cp.medianEmaError()));
  System.out.printf("train ms/it=%.1f probe share=%.3f alarms=%s%n", r.trainNanos()/1e6/c.iterations(), (double) r.probeNanos()/r.trainNanos(), r.alarms().stream().map(x->x.describe()).toList());
}}
