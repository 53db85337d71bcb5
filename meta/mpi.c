/* mpi.c — the campaign's collective over MPI ranks (see include/plast/mpi.h). */
#include "plast/mpi.h"

#include <stdlib.h>

#ifdef PLAST_MPI
#include <mpi.h>

static void allsum(double *x, int n, void *ctx)
{
    (void)ctx;
    MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int plast_mpi_available(void)
{
    return 1;
}

int plast_mpi_init(int *argc, char ***argv, plast_comm *comm, plast_err *err)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return plast_err_set(err, PLAST_E_INTERNAL, "mpi", "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &comm->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &comm->size);
    comm->allsum = allsum;
    comm->ctx = NULL;
    return PLAST_OK;
}

void plast_mpi_finalize(void)
{
    MPI_Finalize();
}
#else
int plast_mpi_available(void)
{
    return 0;
}

int plast_mpi_init(int *argc, char ***argv, plast_comm *comm, plast_err *err)
{
    (void)argc, (void)argv, (void)comm;
    return plast_err_set(err, PLAST_E_USAGE, "mpi",
                         "this plast was built without MPI (install libopenmpi-dev and rebuild)");
}

void plast_mpi_finalize(void)
{
}
#endif

int plast_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}
