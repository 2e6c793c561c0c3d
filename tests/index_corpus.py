"""A corpus of index and matrix derivatives (norms, quadratic forms, variance, attention, layers, batch losses)."""

CORPUS = [
    # norms and inner products
    ("Sum(x[j]**2, (j,1,N))", "x[k]", []),
    ("sqrt(Sum(x[j]**2, (j,1,N)))", "x[k]", []),
    ("Sum(x[j]*y[j], (j,1,N))", "x[k]", []),
    ("Sum((x[j] - y[j])**2, (j,1,N))/2", "y[k]", []),
    ("Sum(x[j]**3, (j,1,N))/3", "x[k]", []),
    ("log(Sum(exp(x[j]), (j,1,N)))", "x[k]", []),
    ("Sum(x[j]**4, (j,1,N))**2", "x[k]", []),
    ("Sum(w[j]*x[j], (j,1,M))**2", "w[k]", []),
    # quadratic forms and matrices
    ("Sum(Sum(A[i,j]*x[i]*x[j], (j,1,N)), (i,1,N))", "x[k]", []),
    ("Sum(Sum(A[i,j]*x[i]*x[j], (j,1,N)), (i,1,N))", "A[a,c]", []),
    ("Sum(Sum(x[i]*A[i,j]*y[j], (j,1,M)), (i,1,N))", "y[k]", []),
    ("Sum(Sum(x[i]*A[i,j]*y[j], (j,1,M)), (i,1,N))", "A[a,c]", []),
    ("Sum(Sum(A[i,j]**2, (j,1,M)), (i,1,N))", "A[a,c]", []),
    ("Sum(A[i,i], (i,1,N))", "A[a,c]", []),
    ("Sum(Sum(A[i,j]*B[j,i], (j,1,M)), (i,1,N))", "B[a,c]", []),
    # variance, means, neighbours
    ("Sum((x[j] - Sum(x[l], (l,1,N))/N)**2, (j,1,N))/N", "x[k]", []),
    ("Sum(x[l], (l,1,N))/N", "x[k]", []),
    ("Sum(x[j]*x[j+1], (j,1,N-1))", "x[k]", []),
    ("Sum((x[j+1] - x[j])**2, (j,1,N-1))", "x[k]", []),
    # attention scores q·k and softmax
    ("Sum(q[j]*K[a,j], (j,1,M))", "q[c]", []),
    ("Sum(q[j]*K[a,j], (j,1,M))", "K[b,c]", []),
    ("exp(Sum(q[j]*K[a,j], (j,1,M)))/Sum(exp(Sum(q[j]*K[i,j], (j,1,M))), (i,1,N))", "q[c]", []),
    ("Sum(v[i]*exp(Sum(q[j]*K[i,j], (j,1,M))), (i,1,N))", "q[c]", []),
    ("-Sum(t[j]*log(softmax(x, j)), (j,1,N))", "x[k]", []),
    ("Sum(softmax(x, j)*v[j], (j,1,N))", "v[k]", []),
    # layer outputs
    ("Sum(W[i,j]*x[j], (j,1,M)) + b[i]", "W[a,c]", []),
    ("Sum(W[i,j]*x[j], (j,1,M)) + b[i]", "x[c]", []),
    ("sigmoid(Sum(W[i,j]*x[j], (j,1,M)) + b[i])", "W[a,c]", []),
    ("tanh(Sum(W[i,j]*x[j], (j,1,M)))", "x[c]", []),
    ("Sum(tanh(Sum(W[i,j]*x[j], (j,1,M))), (i,1,N))", "W[a,c]", []),
    ("Sum(sigmoid(Sum(W[i,j]*x[j], (j,1,M)) + b[i]), (i,1,N))", "x[c]", []),
    ("Sum(relu(Sum(W[i,j]*x[j], (j,1,M))), (i,1,N))", "W[a,c]", []),
    ("Sum(v[i]*tanh(Sum(W[i,j]*x[j], (j,1,M))), (i,1,N))", "W[a,c]", []),
    ("Sum(v[i]*h[i], (i,1,N))", "W[a,c]", ["h[i] = sigmoid(Sum(W[i,j]*x[j], (j,1,M)))"]),
    ("Sum((y[i] - t[i])**2, (i,1,N))/2", "W[a,c]", ["y[i] = Sum(W[i,j]*x[j], (j,1,M)) + b[i]"]),
    ("Sum((y[i] - t[i])**2, (i,1,N))/2", "x[c]", ["y[i] = Sum(W[i,j]*x[j], (j,1,M)) + b[i]"]),
    ("Sum((y[i] - t[i])**2, (i,1,N))/2", "b[c]", ["y[i] = Sum(W[i,j]*x[j], (j,1,M)) + b[i]"]),
    # losses over a batch
    ("Sum(Sum((Sum(W[i,j]*X[n,j], (j,1,M)) - T[n,i])**2, (i,1,N)), (n,1,B))/2", "W[a,c]", []),
    ("Sum(Sum((Sum(W[i,j]*X[n,j], (j,1,M)) - T[n,i])**2, (i,1,N)), (n,1,B))/(2*B)", "W[a,c]", []),
    ("Sum((Sum(w[j]*X[n,j], (j,1,M)) - y[n])**2, (n,1,B))", "w[k]", []),
    ("Sum(log(1 + exp(-y[n]*Sum(w[j]*X[n,j], (j,1,M)))), (n,1,B))", "w[k]", []),
    ("Sum(Sum(X[n,j]**2, (j,1,M)), (n,1,B))", "X[a,c]", []),
    # the crash of two definitions holding sums
    ("h1 + h2", "w[k]", ["h1 = exp(Sum(w[j]*x[j], (j,1,N)))", "h2 = exp(Sum(u[j]*x[j], (j,1,N)))"]),
    ("h1*h2", "w[k]", ["h1 = tanh(Sum(w[j]*x[j], (j,1,N)))", "h2 = tanh(Sum(w[j]*u[j], (j,1,N)))"]),
]
