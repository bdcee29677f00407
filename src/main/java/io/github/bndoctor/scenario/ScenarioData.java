package io.github.bndoctor.scenario;

import org.nd4j.linalg.dataset.DataSet;

/**
 * The data side of a scenario: a seeded training stream and a fixed held-out probe set that does
 * not depend on what was drawn from the stream. Not thread-safe.
 */
public interface ScenarioData {

    /**
     * @param size number of samples, &gt;= 1
     * @return the next training batch (features and labels)
     */
    DataSet trainingBatch(int size);

    /**
     * @param size number of samples, &gt;= 1
     * @return the fixed probe set: the same samples on every call for a given seed and size
     */
    DataSet probe(int size);
}
