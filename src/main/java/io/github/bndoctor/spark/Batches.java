package io.github.bndoctor.spark;

import io.github.bndoctor.dl4j.ShapeMismatchException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Regroups a partition's elements (network inputs of any number of examples each) into batches of
 * exactly {@code size} examples, in order; the partition's last batch holds the remainder and is
 * dropped if it has a single example (training-mode BN needs two). Batches never span partitions.
 * An element of exactly {@code size} examples met at a batch boundary is passed on as it is.
 */
final class Batches implements Iterator<INDArray[]> {
    private final Iterator<INDArray[]> source;
    private final int size;
    private final Deque<INDArray[]> pending = new ArrayDeque<>();
    private long pendingRows;
    private int inputs = -1;
    private INDArray[] next;

    Batches(Iterator<INDArray[]> source, int size) {
        if (size < 2) {
            throw new IllegalArgumentException("batch size must be at least 2, got " + size);
        }
        this.source = source;
        this.size = size;
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = take();
        }
        return next != null;
    }

    @Override
    public INDArray[] next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        INDArray[] out = next;
        next = null;
        return out;
    }

    private INDArray[] take() {
        while (pendingRows < size && source.hasNext()) {
            INDArray[] x = source.next();
            long rows = rows(x);
            if (rows > 0) {
                pending.addLast(x);
                pendingRows += rows;
            }
        }
        long want = Math.min(size, pendingRows);
        if (want < 2) {
            pending.clear();
            pendingRows = 0;
            return null;
        }
        List<INDArray[]> parts = new ArrayList<>();
        long got = 0;
        while (got < want) {
            INDArray[] head = pending.pollFirst();
            long r = head[0].size(0);
            if (got + r <= want) {
                parts.add(head);
                got += r;
            } else {
                long k = want - got;
                parts.add(slice(head, 0, k));
                pending.addFirst(slice(head, k, r));
                got = want;
            }
        }
        pendingRows -= want;
        return parts.size() == 1 ? parts.get(0) : concat(parts);
    }

    private long rows(INDArray[] x) {
        if (x == null || x.length == 0) {
            throw new ShapeMismatchException("an element holds no input array");
        }
        if (inputs >= 0 && x.length != inputs) {
            throw new ShapeMismatchException("elements hold " + inputs + " and " + x.length + " input arrays");
        }
        inputs = x.length;
        long rows = x[0].size(0);
        for (INDArray a : x) {
            if (a == null || a.rank() < 2 || a.size(0) != rows) {
                throw new ShapeMismatchException("an element's input arrays must all have rank >= 2 and "
                        + rows + " examples along the first dimension");
            }
        }
        return rows;
    }

    private static INDArray[] slice(INDArray[] x, long from, long to) {
        INDArray[] out = new INDArray[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = slice(x[i], from, to);
        }
        return out;
    }

    /**
     * @param a an array, examples along the first dimension
     * @param from first example
     * @param to end (exclusive)
     * @return a copy of those examples
     */
    static INDArray slice(INDArray a, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int d = 1; d < idx.length; d++) {
            idx[d] = NDArrayIndex.all();
        }
        return a.get(idx).dup();
    }

    private static INDArray[] concat(List<INDArray[]> parts) {
        INDArray[] out = new INDArray[parts.get(0).length];
        for (int i = 0; i < out.length; i++) {
            INDArray[] column = new INDArray[parts.size()];
            for (int p = 0; p < column.length; p++) {
                column[p] = parts.get(p)[i];
            }
            out[i] = Nd4j.concat(0, column);
        }
        return out;
    }
}
