/* mpi.h — spreading a campaign's candidates over MPI ranks.
 *
 * The campaign needs one collective only: a sum of doubles over ranks (each rank fills
 * the fitness slots of its own candidates and zeros elsewhere; adding zeros is exact, so
 * every rank ends with the same bits). meta/mpi.c provides it when plast is built with
 * MPI (CMake option PLAST_MPI, on when OpenMPI is found); otherwise plast_mpi_available()
 * is 0 and a campaign runs in one process. */
#ifndef PLAST_MPI_H
#define PLAST_MPI_H

#include "plast/campaign.h"

int plast_mpi_available(void);
/* Non-zero when this process was started by mpirun (the launcher's environment). */
int plast_mpi_launched(void);
/* MPI_Init and the communicator of the world; PLAST_E_INTERNAL when it fails. */
int plast_mpi_init(int *argc, char ***argv, plast_comm *comm, plast_err *err);
void plast_mpi_finalize(void);

#endif
