# Routes arrive with this app's issue; the project urls include it already.
urlpatterns = []
